/**
 * The suite's assertions: plain throws, so the cases run under any test runner (or none). Every message
 * starts with the check's place — kernel, metric, position — then what the backend gave and what was expected.
 */

/** A conformance check that did not hold: the backend under test disagrees with the reference. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

/** Throws unless |got − expected| ≤ relTol · max(1, scale): relative for large values, absolute near zero. */
export function expectClose(where: string, got: number, expected: number, scale: number, relTol: number): void {
  if (Math.abs(got - expected) <= relTol * Math.max(1, scale)) return;
  throw new ConformanceError(`${where}: got ${got}, expected ${expected} (within ${relTol} relative)`);
}

/** Throws unless `got` is `expected` (Object.is: −0 ≠ 0, NaN = NaN; −Infinity and labels compare exactly). */
export function expectSame(where: string, got: unknown, expected: unknown): void {
  if (Object.is(got, expected)) return;
  throw new ConformanceError(`${where}: got ${String(got)}, expected ${String(expected)}`);
}

/** Throws unless `ok`; `detail` says what was wrong. */
export function expectThat(where: string, ok: boolean, detail: string): void {
  if (!ok) throw new ConformanceError(`${where}: ${detail}`);
}
