import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import type { GpujsContext } from './context.js';
import { MAX_ELEMENTS } from './limits.js';

// One thread per (query i, sub-quantizer m, codeword j): thread.y = i, thread.x = m·ksub + j, which is also
// the codeword's row in the M×ksub×dsub codebooks. ksub is a power of two, so x / ksub is exact in float32.
const IP = `function pqTableIp(q, codebooks) {
  const m = Math.floor(this.thread.x / this.constants.ksub);
  const qo = this.thread.y * this.constants.d + m * this.constants.dsub;
  const co = this.thread.x * this.constants.dsub;
  let s = 0;
  for (let t = 0; t < this.constants.dsub; t++) {
    s += q[qo + t] * codebooks[co + t];
  }
  return s;
}`;
const L2 = `function pqTableL2(q, codebooks) {
  const m = Math.floor(this.thread.x / this.constants.ksub);
  const qo = this.thread.y * this.constants.d + m * this.constants.dsub;
  const co = this.thread.x * this.constants.dsub;
  let s = 0;
  for (let t = 0; t < this.constants.dsub; t++) {
    const u = q[qo + t] - codebooks[co + t];
    s += u * u;
  }
  return s;
}`;

/** nq × M × ksub look-up tables (ip → <q_m, c_mj>, l2 → ‖q_m − c_mj‖²), in blocks of queries. */
export function gpuPqTables(ctx: GpujsContext, q: Matrix, codebooks: Float32Array, M: number, ksub: number, metric: Metric): Float32Array {
  const d = q.dim;
  const dsub = d / M;
  const tsize = M * ksub;
  const out = new Float32Array(q.rows * tsize);
  const kernel = ctx.kernel(`pq-tables:${metric}:${d}:${M}:${ksub}`, metric === 'l2' ? L2 : IP, { d, dsub, ksub });
  const block = Math.max(1, Math.min(q.rows, Math.floor(ctx.maxOutput / tsize), Math.floor(MAX_ELEMENTS / d)));
  for (let i0 = 0; i0 < q.rows; i0 += block) {
    const i1 = Math.min(q.rows, i0 + block);
    const rows = ctx.run2D(kernel, tsize, i1 - i0, q.data.subarray(i0 * d, i1 * d), codebooks);
    for (let i = i0; i < i1; i++) out.set(rows[i - i0].subarray(0, tsize), i * tsize);
  }
  return out;
}
