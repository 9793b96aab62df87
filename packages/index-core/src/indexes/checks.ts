import { LibvqError, invalidArgument } from '../errors.js';
import { checkMatrix, type Matrix } from '../matrix.js';
import { checkThreads } from '../parallel/pool.js';
import type { Ids, SearchParams } from './index.js';

/** Validation shared by every index's search(). */
export function checkSearch(name: string, d: number, isTrained: boolean, q: Matrix, params: SearchParams): void {
  if (!isTrained) throw new LibvqError('NOT_TRAINED', `${name}.search: the index is not trained; call train() first`);
  if (params == null || typeof params !== 'object') throw invalidArgument(`${name}.search params`, 'an object like { k: 10 }', params);
  if (!Number.isInteger(params.k) || params.k <= 0) throw invalidArgument(`${name}.search k`, 'an integer ≥ 1', params.k);
  if (params.nprobe !== undefined && (!Number.isInteger(params.nprobe) || params.nprobe <= 0)) {
    throw invalidArgument(`${name}.search nprobe`, 'an integer ≥ 1', params.nprobe);
  }
  checkMatrix(q, `${name}.search queries`, d);
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
}

export function toBigLabels(labels: Float64Array): BigInt64Array {
  const out = new BigInt64Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = BigInt(labels[i]);
  return out;
}

export function idToNumber(id: number | bigint, name: string): number {
  const n = typeof id === 'bigint' ? Number(id) : id;
  if (!Number.isSafeInteger(n) || n < 0) throw invalidArgument(`${name} id`, 'a non-negative integer', id);
  return n;
}
