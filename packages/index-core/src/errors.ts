/**
 * Every error libvq-ts raises on purpose is a LibvqError with a stable `code`, so callers can branch
 * on the kind of failure while the message names the file, line, field or parameter at fault.
 */
export type LibvqErrorCode =
  | 'INVALID_ARGUMENT'
  | 'DIMENSION_MISMATCH'
  | 'NOT_TRAINED'
  | 'INSUFFICIENT_DATA'
  | 'NON_FINITE'
  | 'BAD_FACTORY'
  | 'BAD_FILE'
  | 'UNSUPPORTED'
  | 'ABORTED'
  | 'IO'
  /** The process could not allocate memory for what the input asked (a limit such as `ulimit -v`, or a huge input). */
  | 'OUT_OF_MEMORY'
  /** A libvq bug caught by a self-check (e.g. a written index that does not read back as itself). */
  | 'INTERNAL'
  /** A job of a distributed run (@libvq/cluster) failed for good: its retries are spent, or its input is bad. */
  | 'JOB_FAILED';

export class LibvqError extends Error {
  readonly code: LibvqErrorCode;
  constructor(code: LibvqErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LibvqError';
    this.code = code;
  }
}

export function invalidArgument(name: string, expected: string, got: unknown): LibvqError {
  return new LibvqError('INVALID_ARGUMENT', `${name}: expected ${expected}, got ${describe(got)}`);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v == null) return String(v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length})`;
  return Object.prototype.toString.call(v);
}

/** Throws a LibvqError('ABORTED') when the signal has fired; long loops call this between batches. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new LibvqError('ABORTED', `${what} was aborted`, { cause: signal.reason });
}
