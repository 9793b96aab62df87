import { LibvqError, invalidArgument } from '../errors.js';
import { checkMatrix, type Matrix } from '../matrix.js';
import { checkThreads } from '../parallel/pool.js';
import type { EncodedVectors, Ids, SearchOutput, SearchParams } from './index.js';
import { SearchResult } from './search-result.js';

/** Validation shared by every index's search(). */
export function checkSearch(name: string, d: number, isTrained: boolean, q: Matrix, params: SearchParams): void {
  if (!isTrained) throw new LibvqError('NOT_TRAINED', `${name}.search: the index is not trained; call train() first`);
  if (params == null || typeof params !== 'object') throw invalidArgument(`${name}.search params`, 'an object like { k: 10 }', params);
  if (!Number.isInteger(params.k) || params.k <= 0) throw invalidArgument(`${name}.search k`, 'an integer ≥ 1', params.k);
  if (params.nprobe !== undefined && (!Number.isInteger(params.nprobe) || params.nprobe <= 0)) {
    throw invalidArgument(`${name}.search nprobe`, 'an integer ≥ 1', params.nprobe);
  }
  if (params.kFactor !== undefined && (!Number.isInteger(params.kFactor) || params.kFactor <= 0 || params.k * params.kFactor > MAX_RESULTS)) {
    throw invalidArgument(`${name}.search kFactor`, `an integer ≥ 1 with k × kFactor ≤ ${MAX_RESULTS}`, params.kFactor);
  }
  checkMatrix(q, `${name}.search queries`, d);
  if (q.rows * params.k > MAX_RESULTS) {
    throw new LibvqError(
      'INVALID_ARGUMENT',
      `${name}.search: ${q.rows} queries × k = ${params.k} is ${q.rows * params.k} results (${((q.rows * params.k * 12) / 1e9).toFixed(1)} GB of distances and labels), over libvq's limit of ${MAX_RESULTS} per call; search fewer queries at a time or use a smaller k`,
    );
  }
  if (params.out !== undefined) checkSearchOut(name, params.out, q, params.k);
}

function overlap(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** SearchParams.out: a Float32Array and a Float64Array of rows × k each, apart from each other and the queries. */
function checkSearchOut(name: string, out: SearchOutput, q: Matrix, k: number): void {
  const cells = q.rows * k;
  if (out == null || typeof out !== 'object') throw invalidArgument(`${name}.search out`, `{ distances: Float32Array(${cells}), labels: Float64Array(${cells}) }`, out);
  if (!(out.distances instanceof Float32Array) || out.distances.length !== cells) {
    throw invalidArgument(`${name}.search out.distances`, `a Float32Array of ${q.rows} queries × k = ${k} = ${cells} entries`, out.distances);
  }
  if (!(out.labels instanceof Float64Array) || out.labels.length !== cells) {
    throw invalidArgument(`${name}.search out.labels`, `a Float64Array of ${q.rows} queries × k = ${k} = ${cells} entries`, out.labels);
  }
  if (overlap(out.distances, out.labels)) throw new LibvqError('INVALID_ARGUMENT', `${name}.search out: distances and labels share memory; give them arrays of their own`);
  for (const f of ['distances', 'labels'] as const) {
    if (overlap(out[f], q.data)) throw new LibvqError('INVALID_ARGUMENT', `${name}.search out.${f} shares memory with the queries, which the search reads while it writes results`);
  }
}

/** Results (rows × k) one search call may return: 2^28 entries, 3.2 GB of float32 distances and int64 labels. */
export const MAX_RESULTS = 1 << 28;

/**
 * Runs a search with k clamped to what can be found (`available`: ntotal) and pads every row back to k with
 * label -1 and the worst distance (−∞ for ip, +∞ for l2), as faiss does: a k beyond ntotal costs what k = ntotal costs.
 */
export function searchPadded(
  q: Matrix,
  k: number,
  available: number,
  metric: 'ip' | 'l2',
  run: (k: number) => { distances: Float32Array; labels: Float64Array },
): SearchResult {
  const kEff = Math.max(1, Math.min(k, available));
  const r = run(kEff);
  if (kEff === k) return new SearchResult(r.distances, r.labels, k);
  const distances = new Float32Array(q.rows * k).fill(metric === 'ip' ? -Infinity : Infinity);
  const labels = new Float64Array(q.rows * k).fill(-1);
  for (let i = 0; i < q.rows; i++) {
    distances.set(r.distances.subarray(i * kEff, (i + 1) * kEff), i * k);
    labels.set(r.labels.subarray(i * kEff, (i + 1) * kEff), i * k);
  }
  return new SearchResult(distances, labels, k);
}

/**
 * Most bytes of per-query working memory (PQ tables, probes) one search batch holds: a search of any number of
 * queries runs in batches this big, so it allocates what ~200 queries need, not what all of them do. GloVe's
 * 1,000 queries on IVF-PQ M = 20 held 20 MB of float tables per call (a million queries would have held 20 GB).
 */
export const SEARCH_BATCH_BYTES = 4 << 20;

/** Results of a batched search: rows × k distances and labels, best first (a SearchResult's arrays). */
export interface BatchedResult {
  distances: Float32Array;
  labels: Float64Array;
}

/**
 * Runs `search` over the queries `rows` at a time and gathers the q.rows × k results, calling onProgress after each
 * batch (the CLI's progress bar) and once at the end (so no queries still report). The rows are independent, so any
 * batching gives the same bytes.
 */
export function searchRowsInBatches(
  q: Matrix,
  k: number,
  rows: number,
  search: (batch: Matrix) => BatchedResult,
  onProgress?: (done: number, total: number) => void,
): BatchedResult {
  const distances = new Float32Array(q.rows * k);
  const labels = new Float64Array(q.rows * k);
  for (let r0 = 0; r0 < q.rows; r0 += rows) {
    const r1 = Math.min(q.rows, r0 + rows);
    const r = search({ rows: r1 - r0, dim: q.dim, data: q.data.subarray(r0 * q.dim, r1 * q.dim) });
    distances.set(r.distances, r0 * k);
    labels.set(r.labels, r0 * k);
    onProgress?.(r1, q.rows);
  }
  onProgress?.(q.rows, q.rows);
  return { distances, labels };
}

/**
 * An index's search over batches of at most SEARCH_BATCH_BYTES of `bytesPerQuery` (and at least one query);
 * a call that fits in one batch runs as it is.
 */
export function searchInBatches(q: Matrix, k: number, bytesPerQuery: number, run: (batch: Matrix) => SearchResult): SearchResult {
  const rows = Math.max(1, Math.floor(SEARCH_BATCH_BYTES / Math.max(1, bytesPerQuery)));
  if (q.rows <= rows) return run(q);
  const r = searchRowsInBatches(q, k, rows, run);
  return new SearchResult(r.distances, r.labels, k);
}

/** Threads for one call: the call's option, else the index's setting; validated. */
export function threadsFor(name: string, option: number | undefined, own: number): number {
  return option !== undefined ? checkThreads(option, `${name} threads`) : checkThreads(own, `${name}.threads`);
}

export function checkAdd(name: string, d: number, isTrained: boolean, x: Matrix, ids: Ids | undefined): void {
  if (!isTrained) throw new LibvqError('NOT_TRAINED', `${name}.add: the index is not trained; call train() first`);
  checkMatrix(x, `${name}.add vectors`, d);
  if (ids !== undefined && ids.length !== x.rows) {
    throw new LibvqError('DIMENSION_MISMATCH', `${name}.add: ${ids.length} ids for ${x.rows} vectors`);
  }
  if (ids !== undefined) checkIds(ids, `${name}.add`);
}

const MAX_BIG_ID = BigInt(Number.MAX_SAFE_INTEGER);
const ID_RULE = 'an integer id from 0 to 2^53 - 1 (-1 marks "no result" in searches; larger ids do not survive as numbers)';

/** Ids must be integers 0 ≤ id ≤ 2^53 − 1: -1 means "no result" in searches, and larger ids do not survive as doubles. */
function checkIds(ids: Ids, what: string): void {
  if (ids instanceof BigInt64Array) {
    for (let i = 0; i < ids.length; i++) if (ids[i] < 0n || ids[i] > MAX_BIG_ID) throw invalidArgument(`${what} ids[${i}]`, ID_RULE, ids[i]);
  } else if (ids instanceof Float64Array || ids instanceof Int32Array || Array.isArray(ids)) {
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i];
      if (!(Number.isSafeInteger(v) && v >= 0)) throw invalidArgument(`${what} ids[${i}]`, ID_RULE, v);
    }
  } else {
    throw invalidArgument(`${what} ids`, 'a Float64Array, Int32Array, BigInt64Array or number[] of ids', ids);
  }
}

export function idToNumber(id: number | bigint, name: string): number {
  if (typeof id === 'bigint' ? id < 0n || id > MAX_BIG_ID : !(Number.isSafeInteger(id) && id >= 0)) throw invalidArgument(`${name} id`, ID_RULE, id);
  return Number(id);
}

/**
 * Validation shared by every index's addEncoded(): trained, `codes` holds rows × codeSize bytes, `lists` present
 * exactly when the index has lists (nlist > 0) with every list number in range, ids as for add().
 */
export function checkEncoded(name: string, isTrained: boolean, e: EncodedVectors, codeSize: number, nlist: number, ids: Ids | undefined): void {
  if (!isTrained) throw new LibvqError('NOT_TRAINED', `${name}.addEncoded: the index is not trained; call train() first`);
  if (e == null || typeof e !== 'object' || !(e.codes instanceof Uint8Array)) {
    throw invalidArgument(`${name}.addEncoded entries`, 'an object { rows, codes: Uint8Array, lists? } (what encode() returns)', e);
  }
  if (!Number.isSafeInteger(e.rows) || e.rows < 0) throw invalidArgument(`${name}.addEncoded rows`, 'a non-negative integer', e.rows);
  if (e.codes.length !== e.rows * codeSize) {
    throw new LibvqError('DIMENSION_MISMATCH', `${name}.addEncoded: ${e.codes.length} code bytes for ${e.rows} entries of ${codeSize} bytes`);
  }
  if (nlist === 0) {
    if (e.lists !== undefined) throw invalidArgument(`${name}.addEncoded lists`, 'absent (this index has no inverted lists)', 'an array');
  } else {
    if (!(e.lists instanceof Int32Array) || e.lists.length !== e.rows) {
      throw invalidArgument(`${name}.addEncoded lists`, `an Int32Array of ${e.rows} list numbers`, e.lists);
    }
    for (let i = 0; i < e.rows; i++) {
      const l = e.lists[i];
      if (!(l >= 0 && l < nlist)) throw invalidArgument(`${name}.addEncoded lists[${i}]`, `a list number from 0 to ${nlist - 1}`, l);
    }
  }
  if (ids !== undefined && ids.length !== e.rows) throw new LibvqError('DIMENSION_MISMATCH', `${name}.addEncoded: ${ids.length} ids for ${e.rows} entries`);
  if (ids !== undefined) checkIds(ids, `${name}.addEncoded`);
}

/** `ids` after the id checks (remove and the like: any count). */
export function checkedIds(ids: Ids, what: string): Ids {
  if (ids == null) throw invalidArgument(`${what} ids`, 'a Float64Array, Int32Array, BigInt64Array or number[] of ids', ids);
  checkIds(ids, what);
  return ids;
}

/** Ids as doubles (how every index stores them): the given ids (checked), else start, start + 1, ..., start + n - 1. */
export function idsFrom(ids: Ids | undefined, start: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ids === undefined ? start + i : Number(ids[i]);
  return out;
}

/** Byte view of a float32 array (no copy). */
export function floatBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** PQ codes of nbits < 8 are one byte per sub-quantizer below ksub = 2^nbits; a larger byte would read past its table. */
export function checkCodeRange(name: string, codes: Uint8Array, ksub: number): void {
  if (ksub >= 256) return;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] >= ksub) throw new LibvqError('INVALID_ARGUMENT', `${name}: code byte ${i} is ${codes[i]}; codes of ${Math.log2(ksub)} bits must be below ${ksub}`);
  }
}
