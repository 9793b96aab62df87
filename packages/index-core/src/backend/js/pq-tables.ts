import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { frontOr } from '../../scratch-arrays.js';
import { TABLES_DSUB_MAX, simdTables } from './wasm/simd-tables.js';

type TableKernel = (q: Float32Array, nq: number, codebooks: Float32Array, M: number, ksub: number, out: Float32Array) => void;

const UNROLL_MAX_DSUB = 32;
const cache = new Map<string, TableKernel>();

/**
 * Generates, once per (dsub, metric), the table kernel with the sub-vector loop unrolled and the query
 * sub-vector held in locals: dsub is small (2..32), so a looped version spends its time on loop overhead.
 */
function tableKernel(dsub: number, l2: boolean): TableKernel {
  const key = `${dsub}:${l2}`;
  let f = cache.get(key);
  if (f) return f;
  const loads: string[] = [];
  const terms: string[] = [];
  for (let t = 0; t < dsub; t++) {
    loads.push(`const q${t} = q[qo + ${t}];`);
    terms.push(l2 ? `(q${t} - codebooks[c + ${t}]) * (q${t} - codebooks[c + ${t}])` : `q${t} * codebooks[c + ${t}]`);
  }
  const body = `
    const d = M * ${dsub};
    for (let i = 0; i < nq; i++) {
      for (let m = 0; m < M; m++) {
        const qo = i * d + m * ${dsub};
        ${loads.join('\n')}
        const to = (i * M + m) * ksub;
        for (let j = 0, c = m * ksub * ${dsub}; j < ksub; j++, c += ${dsub}) {
          out[to + j] = ${terms.join(' + ')};
        }
      }
    }`;
  // Built only from the integer dsub: no user text reaches the generated source.
  f = new Function('q', 'nq', 'codebooks', 'M', 'ksub', 'out', body) as TableKernel;
  cache.set(key, f);
  return f;
}

/** nq × M × ksub look-up tables: ip → <q_m, c_mj>, l2 → ‖q_m − c_mj‖². */
export function pqTables(q: Matrix, codebooks: Float32Array, M: number, ksub: number, metric: Metric, into?: Float32Array): Float32Array {
  const d = q.dim;
  const dsub = d / M;
  const out = frontOr(into, q.rows * M * ksub, (n) => new Float32Array(n));
  const l2 = metric === 'l2';
  // The SIMD kernel: 4 codewords per step, float32 sums (8-bit and 4-bit codebooks have ksub 256 and 16).
  if (dsub <= TABLES_DSUB_MAX && ksub % 4 === 0) {
    simdTables(q.data, q.rows, codebooks, M, ksub, dsub, l2, out);
    return out;
  }
  if (dsub <= UNROLL_MAX_DSUB) {
    tableKernel(dsub, l2)(q.data, q.rows, codebooks, M, ksub, out);
    return out;
  }
  const qd = q.data;
  for (let i = 0; i < q.rows; i++) {
    for (let m = 0; m < M; m++) {
      const qo = i * d + m * dsub;
      const to = (i * M + m) * ksub;
      const co = m * ksub * dsub;
      for (let j = 0; j < ksub; j++) {
        const c = co + j * dsub;
        let s = 0;
        if (l2) {
          for (let t = 0; t < dsub; t++) {
            const diff = qd[qo + t] - codebooks[c + t];
            s += diff * diff;
          }
        } else {
          for (let t = 0; t < dsub; t++) s += qd[qo + t] * codebooks[c + t];
        }
        out[to + j] = s;
      }
    }
  }
  return out;
}
