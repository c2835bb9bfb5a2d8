/** Parsers for numeric command-line values: a bad value is a usage error (exit 2) naming what was expected. */
import { InvalidArgumentError } from 'commander';

function wholeNumber(text: string, min: number, expected: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected ${expected}.`);
  return n;
}

/** 1, 2, 3, … */
export function positiveIntArg(text: string): number {
  return wholeNumber(text, 1, 'a positive whole number');
}

/** 0, 1, 2, … */
export function nonNegativeIntArg(text: string): number {
  return wholeNumber(text, 0, 'a whole number ≥ 0');
}

function finiteNumber(text: string, ok: (n: number) => boolean, expected: string): number {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(n) || !ok(n)) throw new InvalidArgumentError(`expected ${expected}.`);
  return n;
}

/** A number > 0, e.g. 3e-4. */
export function positiveNumberArg(text: string): number {
  return finiteNumber(text, (n) => n > 0, 'a positive number');
}

/** A number ≥ 0. */
export function nonNegativeNumberArg(text: string): number {
  return finiteNumber(text, (n) => n >= 0, 'a number ≥ 0');
}

/** A number in [0, 1]. */
export function fractionArg(text: string): number {
  return finiteNumber(text, (n) => n >= 0 && n <= 1, 'a number from 0 to 1');
}
