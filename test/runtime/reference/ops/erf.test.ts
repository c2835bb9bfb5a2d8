import { describe, expect, it } from 'vitest';
import { erf } from '../../../../runtime/reference/ops/erf.js';
import { createRng } from '../../../helpers/random.js';

// Values of CPython's math.erf (the C library's erf), which agree with the mathematical values to the last digit shown.
const KNOWN: [number, number][] = [
  [1e-10, 1.1283791670955126e-10],
  [1e-5, 1.1283791670579e-5],
  [0.1, 0.1124629160182849],
  [0.3, 0.3286267594591274],
  [0.5, 0.5204998778130465],
  [0.8, 0.7421009647076605],
  [1.0, 0.8427007929497149],
  [1.3, 0.9340079449406524],
  [1.7, 0.9837904585907745],
  [2.0, 0.9953222650189527],
  [2.5, 0.999593047982555],
  [3.0, 0.9999779095030014],
  [3.7, 0.9999998328489421],
  [4.5, 0.9999999998033839],
  [5.5, 0.9999999999999927],
  [5.95, 1.0],
  [-0.7, -0.6778011938374184],
  [-2.2, -0.9981371537020182],
];

describe('erf', () => {
  it.each(KNOWN)('erf(%s) is within a few ulp of %s', (x, expected) => {
    expect(Math.abs(erf(x) - expected)).toBeLessThanOrEqual(5 * Number.EPSILON * Math.abs(expected));
  });

  it('is odd, saturates at ±1, keeps signed zero and NaN', () => {
    const rng = createRng();
    for (let n = 0; n < 100; n++) {
      const x = 8 * rng.uniform();
      expect(erf(-x), `seed ${rng.seed}, x ${x}`).toBe(-erf(x));
    }
    expect(erf(7)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(NaN)).toBeNaN();
  });

  it('has derivative 2/√π·e^{−x²} (central differences)', () => {
    const rng = createRng();
    for (let n = 0; n < 50; n++) {
      const x = 8 * rng.uniform() - 4;
      const h = 1e-5;
      const fd = (erf(x + h) - erf(x - h)) / (2 * h);
      const exact = (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x);
      expect(Math.abs(fd - exact), `seed ${rng.seed}, x ${x}`).toBeLessThan(1e-9);
    }
  });
});
