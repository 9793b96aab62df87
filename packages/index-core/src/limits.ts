import { invalidArgument } from './errors.js';

/**
 * The largest vector dimension libvq builds, writes or reads (2^20). faiss files store d as an int32; the bound is
 * libvq's, and it holds on both sides: an index the API accepts can always be read back (readIndex refuses more).
 */
export const MAX_DIMENSION = 1 << 20;

/** Refuses a dimension that is not an integer from 1 to MAX_DIMENSION, naming the parameter. */
export function checkDimension(d: number, name: string): void {
  if (!Number.isInteger(d) || d <= 0 || d > MAX_DIMENSION) throw invalidArgument(name, `an integer from 1 to ${MAX_DIMENSION} (2^20)`, d);
}
