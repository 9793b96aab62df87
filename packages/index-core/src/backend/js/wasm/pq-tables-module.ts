import { ByteWriter, I32, V128, functionOps, oneFunctionModule } from './bytes.js';

/**
 * Emits a WebAssembly SIMD module with one export, `tables(q, nq, qStride, cT, kBlocks, out, outStride)`: one
 * sub-space's look-up tables for nq queries, ip → <q_m, c_j>, l2 → ‖q_m − c_j‖², for 4·kBlocks codewords of
 * `dsub` dimensions (a compile-time constant, 1..16).
 *
 * Codewords come in blocks of 4, transposed (cT[b][t] = the t-th coordinates
 * of codewords 4b..4b+3, one v128), so 4 table entries are dsub multiply-adds of 4 lanes against the query's
 * coordinates, splatted once per query. Sums are float32 in t order. Query i's sub-vector is at q + i·qStride,
 * its table row at out + i·outStride (byte offsets): one call fills sub-space m of a whole batch in place.
 */
export function pqTablesModuleBytes(dsub: number, l2: boolean): Uint8Array {
  // params 0 q, 1 nq, 2 qStride, 3 cT, 4 kBlocks, 5 out, 6 outStride; locals 7 i, 8 b, 9 cp, 10 op (i32); 11 acc, 12 d, 13.. xs_t (v128)
  const Q = 0, NQ = 1, QS = 2, CT = 3, KB = 4, OUT = 5, OS = 6;
  const I = 7, B = 8, CP = 9, OP = 10, ACC = 11, D = 12, XS = 13;
  const f = new ByteWriter();
  f.u32(2).u32(4).byte(I32).u32(2 + dsub).byte(V128);
  const { get, set, simd, loopStart, loopEnd, exitIfGe } = functionOps(f);
  const F32X4_SPLAT = 0x13, F32X4_ADD = 0xe4, F32X4_SUB = 0xe5, F32X4_MUL = 0xe6;
  const addTo = (x: number, by: number) => {
    get(x);
    get(by);
    f.byte(0x6a); // i32.add
    set(x);
  };
  const addConst = (x: number, c: number) => {
    get(x);
    f.byte(0x41).i32(c);
    f.byte(0x6a);
    set(x);
  };

  loopStart(); // queries
  exitIfGe(I, NQ);
  for (let t = 0; t < dsub; t++) {
    get(Q);
    f.byte(0x2a).u32(2).u32(4 * t); // f32.load q[t]
    simd(F32X4_SPLAT);
    set(XS + t);
  }
  get(CT);
  set(CP);
  get(OUT);
  set(OP);
  f.byte(0x41).i32(0);
  set(B);
  loopStart(); // codeword blocks
  exitIfGe(B, KB);
  get(OP);
  for (let t = 0; t < dsub; t++) {
    get(XS + t);
    get(CP);
    simd(0x00).u32(4).u32(16 * t); // v128.load cT[b][t]
    if (l2) {
      simd(F32X4_SUB);
      set(D);
      get(D);
      get(D);
    }
    simd(F32X4_MUL);
    if (t > 0) {
      get(ACC);
      // acc + term, in t order: (((term_0 + term_1) + term_2) + …)
      simd(F32X4_ADD);
    }
    set(ACC);
  }
  get(ACC);
  simd(0x0b).u32(4).u32(0); // v128.store out[b]
  addConst(CP, 16 * dsub);
  addConst(OP, 16);
  addConst(B, 1);
  loopEnd();
  addTo(Q, QS);
  addTo(OUT, OS);
  addConst(I, 1);
  loopEnd();
  f.byte(0x0b);
  return oneFunctionModule('tables', [I32, I32, I32, I32, I32, I32, I32], [], f);
}
