import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';

/** nq × M × ksub look-up tables: ip → <q_m, c_mj>, l2 → ‖q_m − c_mj‖². */
export function pqTables(q: Matrix, codebooks: Float32Array, M: number, ksub: number, metric: Metric): Float32Array {
  const d = q.dim;
  const dsub = d / M;
  const out = new Float32Array(q.rows * M * ksub);
  const l2 = metric === 'l2';
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
