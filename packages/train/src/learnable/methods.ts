import { invalidArgument } from '@libvq/index-core/util';

// LibVQ's vocabulary for an index (its `index_method`, `ivf_centers_num`, `subvector_num`, `subvector_bits`),
// kept here in the LibVQ-compatible layer; index-core speaks faiss's factory strings only.

export type IndexMethod = 'flat' | 'ivf' | 'ivf_pq' | 'ivf_opq' | 'pq' | 'opq';

export interface IndexMethodParams {
  indexMethod: IndexMethod;
  /** nlist, for the IVF methods. */
  ivfCentersNum?: number;
  /** M, for the PQ methods. */
  subvectorNum?: number;
  /** bits per sub-vector code (default 8). */
  subvectorBits?: number;
}

/** LibVQ's index_method names mapped to faiss factory strings (the one place the two vocabularies meet). */
export function methodToFactory(p: IndexMethodParams): string {
  const need = (v: number | undefined, name: string): number => {
    if (v === undefined || !Number.isInteger(v) || v <= 0) {
      throw invalidArgument(`${name} (required by index method '${p.indexMethod}')`, 'a positive integer', v);
    }
    return v;
  };
  const pq = () => `PQ${need(p.subvectorNum, 'subvectorNum')}x${p.subvectorBits ?? 8}`;
  switch (p.indexMethod) {
    case 'flat':
      return 'Flat';
    case 'ivf':
      return `IVF${need(p.ivfCentersNum, 'ivfCentersNum')},Flat`;
    case 'ivf_pq':
      return `IVF${need(p.ivfCentersNum, 'ivfCentersNum')},${pq()}`;
    case 'ivf_opq':
      return `OPQ${need(p.subvectorNum, 'subvectorNum')},IVF${need(p.ivfCentersNum, 'ivfCentersNum')},${pq()}`;
    case 'pq':
      return pq();
    case 'opq':
      return `OPQ${need(p.subvectorNum, 'subvectorNum')},${pq()}`;
    default:
      throw invalidArgument('indexMethod', "one of 'flat', 'ivf', 'ivf_pq', 'ivf_opq', 'pq', 'opq'", p.indexMethod);
  }
}
