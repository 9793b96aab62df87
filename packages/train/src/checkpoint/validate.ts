import { LibvqError } from '@libvq/index-core';
import { MAX_MAGNITUDE } from '@libvq/index-core/util';
import type { TensorData } from '@libvq/index-core';
import { safeDtype, type DecodedSafetensors } from './safetensors.js';

/**
 * Checks on the values a checkpoint holds. A checksum only proves that a file is the one the manifest describes;
 * a file written with NaN (a diverged run saved by other code, or an edited file with a recomputed checksum)
 * passes it, and a NaN rotation or centre then misplaces every document added later. So every floating tensor is
 * checked for finite values within index-core's vector bound (±1e15: beyond it squared distances overflow
 * float32), and every tensor against the manifest's record of it.
 */

/** Index `i` of a row-major tensor of `shape` as [a, b, ...] (so an error points at the element). */
function position(i: number, shape: readonly number[]): string {
  if (shape.length <= 1) return `[${i}]`;
  const at: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    at.unshift(i % shape[k]);
    i = Math.floor(i / shape[k]);
  }
  return `[${at.join(', ')}]`;
}

/** Throws (naming the file and the tensor) at the first value that is not finite or beyond ±MAX_MAGNITUDE. */
export function checkFinite(file: string, name: string, data: TensorData | Float32Array | Float64Array, shape: readonly number[] = [data.length]): void {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (!(Math.abs(x) <= MAX_MAGNITUDE)) {
      const what = Number.isNaN(x) ? 'NaN' : Number.isFinite(x) ? `${x.toPrecision(6)}, beyond the bound ±${MAX_MAGNITUDE.toExponential()}` : `${x}`;
      throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" holds ${what} at ${position(i, shape)} (a checkpoint must hold finite values)`);
    }
  }
}

/**
 * The tensors of a safetensors file against the manifest's `tensors` record (`manifestFile` names it): the same
 * names, and each with the recorded dtype and shape.
 */
export function checkAgainstManifest(dec: DecodedSafetensors, file: string, recorded: unknown, manifestFile: string): void {
  if (recorded === null || typeof recorded !== 'object' || Array.isArray(recorded)) {
    throw new LibvqError('BAD_FILE', `${manifestFile}: "tensors" is ${JSON.stringify(recorded)}, expected an object {name: {dtype, shape}}`);
  }
  const rec = recorded as Record<string, { dtype?: unknown; shape?: unknown }>;
  for (const [name, t] of Object.entries(dec.tensors)) {
    const r = rec[name];
    if (!r) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" is not listed in ${manifestFile}`);
    const shape = Array.isArray(r.shape) ? r.shape : null;
    if (r.dtype !== safeDtype(t.data) || !shape || shape.length !== t.shape.length || shape.some((s, i) => s !== t.shape[i])) {
      throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" is ${safeDtype(t.data)} [${t.shape.join(', ')}], ${manifestFile} records ${JSON.stringify(r.dtype)} ${JSON.stringify(r.shape)}`);
    }
  }
  for (const name of Object.keys(rec)) {
    if (!dec.tensors[name]) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" listed in ${manifestFile} is missing`);
  }
}

/**
 * A tensor that duplicates a parameter of index.faiss (written from the same array) must equal it bit for bit;
 * a difference means one of the two files was changed after saving.
 */
export function checkEqual(file: string, name: string, data: Float32Array, indexFile: string, what: string, ref: ArrayLike<number>): void {
  if (data.length !== ref.length) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" has ${data.length} values, the ${what} of ${indexFile} has ${ref.length}`);
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== Math.fround(ref[i])) { // both finite here (checkFinite ran first)
      throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" differs from the ${what} of ${indexFile} at value ${i} (${data[i]} vs ${ref[i]}): one of the files was changed after saving`);
    }
  }
}
