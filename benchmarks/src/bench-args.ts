import { LibvqError } from '@libvq/index-core';

/** The value after `flag` on the command line, or undefined. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** An integer flag value in [min, max] (undefined when absent); a clear error naming the flag otherwise. */
export function intArg(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new LibvqError('INVALID_ARGUMENT', `${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** A comma-separated list of integers in [min, max]. */
export function intListArg(name: string, v: string, min: number, max: number): number[] {
  return v.split(',').map((s) => intArg(name, s, min, max)!);
}
