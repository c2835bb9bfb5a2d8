import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import {
  slstmCellKernel,
  slstmCellUniforms,
  type RecurrentWeightPlacement,
  type SlstmCellOptions,
  type SlstmStart,
} from '../../../compiler/kernels/slstm-cell.js';
import type { Rng } from '../../../runtime/random.js';
import { createSlstmState, slstmForward, type SlstmState } from '../../../runtime/reference/ops/slstm.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';
import { joinTime, sliceTime } from './time-slices.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

interface Cell {
  B: number;
  NH: number;
  DH: number;
  kernel: { f32: Float32Array; f64: Float64Array };
  bias: { f32: Float32Array; f64: Float64Array };
}

/** Weights in the official ranges: R ~ U(±1/√E)-sized, a forget-gate bias that keeps memory. */
function randomCell(rng: Rng, B: number, NH: number, DH: number): Cell {
  const E = NH * DH;
  const kernel = randomF32(rng, NH * 4 * DH * DH, 1 / Math.sqrt(DH));
  const bias = randomF32(rng, 4 * E, 0.5);
  for (let e = 0; e < E; e++) bias.f32[E + e]! += 3;
  return { B, NH, DH, kernel, bias: { f32: bias.f32, f64: Float64Array.from(bias.f32) } };
}

/** A state the official step API could have produced: n ≥ 1, |m| moderate. */
function randomState(rng: Rng, B: number, E: number): { f32: Float32Array; f64: SlstmState } {
  const y = randomF32(rng, B * E, 0.5).f64;
  const c = randomF32(rng, B * E).f64;
  const n = Float64Array.from({ length: B * E }, () => 1 + 3 * rng.nextFloat());
  const m = randomF32(rng, B * E, 2).f64;
  const f32 = new Float32Array(4 * B * E);
  [y, c, n, m].forEach((part, s) => f32.set(part, s * B * E));
  const f64 = Float64Array.from(f32);
  const at = (s: number) => f64.slice(s * B * E, (s + 1) * B * E);
  return { f32, f64: { y: at(0), c: at(1), n: at(2), m: at(3) } };
}

function packState(s: SlstmState): Float64Array {
  const out = new Float64Array(4 * s.y.length);
  [s.y, s.c, s.n, s.m].forEach((part, i) => out.set(part, i * s.y.length));
  return out;
}

/**
 * Runs the cell kernel over x [B, T, 4E] on the given device tensors: every launch of the plan in one
 * submit. Returns y and the final state.
 */
async function runCell(
  io: DeviceTensors,
  options: SlstmCellOptions,
  start: SlstmStart,
  target: KernelTarget = kit.target,
): Promise<{ y: Float32Array; state: Float32Array; launches: number; loopIterations: number }> {
  const plan = slstmCellKernel(options, target);
  const names = ['x', 'recurrentKernel', 'bias', 'y', 'state', ...(options.inputState ? ['stateIn'] : [])];
  const tensors = io.pick(...names);
  const dispatches = slstmCellUniforms(plan, start).map((uniforms) => ({ kernel: plan.kernel, tensors, uniforms }));
  const [y, state] = await kit.exec.run(dispatches, { read: [io.map.y!, io.map.state!] });
  return { y: y as Float32Array, state: state as Float32Array, launches: plan.launches.length, loopIterations: plan.kernel.loopIterations };
}

function upload(io: DeviceTensors, cell: Cell, x: Float32Array, T: number): void {
  const E = cell.NH * cell.DH;
  io.input('x', x);
  io.input('recurrentKernel', cell.kernel.f32);
  io.input('bias', cell.bias.f32);
  io.output('y', cell.B * T * E);
}

interface Case {
  B: number;
  T: number;
  NH: number;
  DH: number;
  start?: SlstmStart;
  recurrentWeights?: RecurrentWeightPlacement;
  maxStepsPerLaunch?: number;
  target?: KernelTarget;
  /** For start 'input': the batch rows whose input n is all zero (others get a random state). */
  zeroRows?: number[];
}

async function check(c: Case): Promise<{ yError: number; stateError: number; seed: number; launches: number }> {
  const { seed, rng } = testRng();
  const { B, T, NH, DH } = c;
  const E = NH * DH;
  const cell = randomCell(rng, B, NH, DH);
  const x = randomF32(rng, B * T * 4 * E);
  const io = new DeviceTensors(kit.exec);
  upload(io, cell, x.f32, T);
  const start = c.start ?? 'zero';
  let initial = createSlstmState(B, E);
  if (start === 'input') {
    const s = randomState(rng, B, E);
    for (const b of c.zeroRows ?? []) for (let e = 0; e < E; e++) s.f32[2 * B * E + b * E + e] = 0;
    io.input('stateIn', s.f32);
    initial = { y: s.f64.y, c: s.f64.c, n: Float64Array.from(s.f32.subarray(2 * B * E, 3 * B * E)), m: s.f64.m };
  }
  io.output('state', 4 * B * E);
  const options: SlstmCellOptions = {
    batch: B,
    time: T,
    heads: NH,
    headDim: DH,
    inputState: start === 'input',
    ...(c.recurrentWeights ? { recurrentWeights: c.recurrentWeights } : {}),
    ...(c.maxStepsPerLaunch ? { maxStepsPerLaunch: c.maxStepsPerLaunch } : {}),
  };
  const got = await runCell(io, options, start, c.target);
  const expectedY = slstmForward(x.f64, cell.kernel.f64, cell.bias.f64, { batch: B, time: T, heads: NH, headDim: DH }, initial);
  return {
    yError: relativeError(got.y, expectedY),
    stateError: relativeError(got.state, packState(initial)),
    seed,
    launches: got.launches,
  };
}

describe('sLSTM cell kernel against the float64 reference', () => {
  it.each([
    [1, 1, 1, 1],
    [2, 9, 2, 8],
    [3, 7, 3, 5],
    [1, 12, 1, 4],
    [2, 6, 4, 16],
    [1, 5, 2, 33],
    [2, 4, 1, 70],
    [1, 3, 2, 128],
  ])('B=%i T=%i NH=%i DH=%i from the zero state', async (B, T, NH, DH) => {
    const r = await check({ B, T, NH, DH });
    expect(r.yError, `seed ${r.seed}`).toBeLessThan(1e-4);
    expect(r.stateError, `seed ${r.seed}`).toBeLessThan(1e-4);
  });

  it.each([['registers' as const], ['workgroup' as const], ['storage' as const]])('R held in %s', async (recurrentWeights) => {
    for (const DH of [8, 7]) {
      const r = await check({ B: 2, T: 6, NH: 2, DH, recurrentWeights });
      expect(r.yError, `seed ${r.seed}`).toBeLessThan(1e-4);
      expect(r.stateError, `seed ${r.seed}`).toBeLessThan(1e-4);
    }
  });

  it('starts from a caller state (max branch of the stabiliser)', async () => {
    const r = await check({ B: 3, T: 5, NH: 2, DH: 6, start: 'input' });
    expect(r.yError, `seed ${r.seed}`).toBeLessThan(1e-4);
    expect(r.stateError, `seed ${r.seed}`).toBeLessThan(1e-4);
  });

  it('takes the first-step branch only when n is zero in every batch row, as the official all(n == 0)', async () => {
    const all = await check({ B: 2, T: 4, NH: 2, DH: 4, start: 'input', zeroRows: [0, 1] });
    expect(all.yError, `seed ${all.seed}`).toBeLessThan(1e-4);
    const some = await check({ B: 3, T: 4, NH: 2, DH: 4, start: 'input', zeroRows: [1] });
    expect(some.yError, `seed ${some.seed}`).toBeLessThan(1e-4);
    expect(some.stateError, `seed ${some.seed}`).toBeLessThan(1e-4);
  });

  it('splits time into launches that carry the state (forced by maxStepsPerLaunch and by a small loop cap)', async () => {
    const forced = await check({ B: 2, T: 11, NH: 2, DH: 4, maxStepsPerLaunch: 3, start: 'input' });
    expect(forced.launches).toBe(4);
    expect(forced.yError, `seed ${forced.seed}`).toBeLessThan(1e-4);
    expect(forced.stateError, `seed ${forced.seed}`).toBeLessThan(1e-4);
    const small: KernelTarget = { ...kit.target, maxLoopIterationsPerInvocation: 20 };
    for (const [recurrentWeights, T] of [
      ['storage', 10],
      ['registers', 45],
    ] as const) {
      const capped = await check({ B: 1, T, NH: 2, DH: 5, target: small, recurrentWeights });
      expect(capped.launches, recurrentWeights).toBeGreaterThan(2);
      expect(capped.yError, `seed ${capped.seed}`).toBeLessThan(1e-4);
    }
  });

  it('is correct over a sequence whose steps would pass the device loop cap in one dispatch', async () => {
    // Every step must loop over y_{t−1} at least in vec4 groups, so T·⌈DH/4⌉ > 65,535 cannot fit one dispatch.
    const T = 4400;
    const DH = 63;
    expect(T * Math.ceil(DH / 4)).toBeGreaterThan(65_535);
    const r = await check({ B: 1, T, NH: 1, DH });
    if (Number.isFinite(kit.target.maxLoopIterationsPerInvocation)) expect(r.launches).toBeGreaterThan(1);
    expect(r.yError, `seed ${r.seed}`).toBeLessThan(1e-4);
    expect(r.stateError, `seed ${r.seed}`).toBeLessThan(1e-4);
  });
});

describe('sLSTM cell kernel: streaming and generation', () => {
  it('a sequence in two pieces with the state carried equals one run, and the T = 1 step kernel equals both', async () => {
    const { seed, rng } = testRng();
    const [B, NH, DH, T1, T2] = [2, 2, 8, 5, 8];
    const T = T1 + T2;
    const E = NH * DH;
    const cell = randomCell(rng, B, NH, DH);
    const x = randomF32(rng, B * T * 4 * E);
    const dims = (time: number): SlstmCellOptions => ({ batch: B, time, heads: NH, headDim: DH });

    const io = new DeviceTensors(kit.exec);
    upload(io, cell, x.f32, T);
    io.output('state', 4 * B * E);
    const whole = await runCell(io, dims(T), 'zero');

    const pieces: { data: Float32Array; len: number }[] = [];
    for (const [t0, len] of [
      [0, T1],
      [T1, T2],
    ] as const) {
      upload(io, cell, sliceTime(x.f32, B, T, 4 * E, t0, len), len);
      const r = await runCell(io, dims(len), t0 === 0 ? 'zero' : 'carried');
      pieces.push({ data: r.y, len });
    }
    const stepped: { data: Float32Array; len: number }[] = [];
    for (let t = 0; t < T; t++) {
      upload(io, cell, sliceTime(x.f32, B, T, 4 * E, t, 1), 1);
      stepped.push({ data: (await runCell(io, dims(1), t === 0 ? 'zero' : 'carried')).y, len: 1 });
    }
    const expected = slstmForward(x.f64, cell.kernel.f64, cell.bias.f64, { batch: B, time: T, heads: NH, headDim: DH });
    expect(relativeError(whole.y, expected), `seed ${seed}`).toBeLessThan(1e-4);
    const wholeY = Float64Array.from(whole.y);
    expect(relativeError(joinTime(pieces, B, E), wholeY), `seed ${seed}`).toBeLessThan(1e-6);
    expect(relativeError(joinTime(stepped, B, E), wholeY), `seed ${seed}`).toBeLessThan(1e-6);
  });

  it('refuses an input start when generated without inputState', () => {
    const plan = slstmCellKernel({ batch: 1, time: 1, heads: 1, headDim: 4 }, kit.target);
    expect(() => slstmCellUniforms(plan, 'input')).toThrow(/inputState/);
  });
});
