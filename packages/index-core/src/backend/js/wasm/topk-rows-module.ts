import { ByteWriter, F32, I32, functionOps, oneFunctionModule } from './bytes.js';

/**
 * Emits the small-k selection of the js backend's k-NN (knn.ts): one export
 *
 *   offer(out, stride, rows, w, j0, k, scores, ids, counts)
 *
 * which offers columns [0, w) of `rows` rows of a score block (float32, row i at out + 4·i·stride; column j is
 * column j0 + j of y) to each row's kept results: the best `counts[i]` ≤ k so far, best first, at scores + 4·i·k
 * (float32) and ids + 4·i·k (int32), a row's count at counts + 4·i. Best means higher for inner products and
 * lower for distances (`higherIsBetter`); of equal scores the lower column ranks first, so the kept set and its
 * order are TopK's (topk.ts), which the JavaScript path uses for larger k.
 *
 * Why: the coarse probe of an IVF search keeps k = nprobe of nlist scores per query, so nearly every score loses
 * to the row's k-th best. The kernel compares four at a time with that threshold (f32x4.ge, v128.any_true) and
 * only a block with a possible winner goes to the scalar insertion, an insertion sort into the row's k kept
 * results (no heap: the kept results come out sorted). The JavaScript loop over one heap per row cost ~2.5 ns per
 * score (GloVe, nlist 1,024, nprobe 8: 2.6 µs per query) and needed the scores copied out of the kernel's memory.
 * NaN scores never enter (every comparison with NaN is false), as in TopK's path.
 */
export function topkRowsModuleBytes(higherIsBetter: boolean): Uint8Array {
  // params 0 out, 1 stride, 2 rows, 3 w, 4 j0, 5 k, 6 scores, 7 ids, 8 counts
  // locals (i32) 9 i, 10 n, 11 sp, 12 ip, 13 op, 14 j, 15 end, 16 p, 17 id; (f32) 18 thr, 19 s, 20 ps
  const OUT = 0, STRIDE = 1, ROWS = 2, W = 3, J0 = 4, K = 5, SC = 6, IDS = 7, COUNTS = 8;
  const I = 9, N = 10, SP = 11, IP = 12, OP = 13, J = 14, END = 15, P = 16, ID = 17, THR = 18, S = 19, PS = 20;
  const f = new ByteWriter();
  f.u32(2).u32(9).byte(I32).u32(3).byte(F32);
  const { get, set, i32c, simd, loopStart, loopEnd, exitIfGe, inc } = functionOps(f);
  const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_MUL = 0x6c, I32_SHL = 0x74, I32_AND = 0x71;
  const I32_EQ = 0x46, I32_LT_S = 0x48, I32_GT_S = 0x4a, I32_LE_S = 0x4c, I32_EQZ = 0x45;
  const F32_EQ = 0x5b, F32_LT = 0x5d, F32_GT = 0x5e, F32_LE = 0x5f, F32_GE = 0x60;
  const IF = 0x04, END_ = 0x0b, BR = 0x0c, BR_IF = 0x0d, SELECT = 0x1b, VOID = 0x40;
  const F32X4_SPLAT = 0x13, F32X4_LE = 0x45, F32X4_GE = 0x46, V128_ANY_TRUE = 0x53;
  // "at least as good as the threshold" (a candidate) and "strictly better" (stops the insertion's shift).
  const [CAND, CAND4, BETTER] = higherIsBetter ? [F32_GE, F32X4_GE, F32_GT] : [F32_LE, F32X4_LE, F32_LT];
  const WORST = higherIsBetter ? -Infinity : Infinity;
  const f32load = () => f.byte(0x2a).u32(2).u32(0);
  const i32load = () => f.byte(0x28).u32(2).u32(0);
  const f32store = () => f.byte(0x38).u32(2).u32(0);
  const i32store = () => f.byte(0x36).u32(2).u32(0);
  const f32c = (v: number) => f.byte(0x43).f32(v);
  /** Pushes base + (index + add)·4 (locals base and index). */
  const addr = (base: number, index: number, add = 0) => {
    get(base);
    get(index);
    if (add !== 0) {
      i32c(add);
      f.byte(I32_ADD);
    }
    i32c(2);
    f.byte(I32_SHL).byte(I32_ADD);
  };
  /** thr = n < k ? WORST : scores[k − 1] (the load is in bounds either way: the row has room for k). */
  const threshold = () => {
    f32c(WORST);
    addr(SP, K, -1);
    f32load();
    get(N);
    get(K);
    f.byte(I32_LT_S).byte(SELECT);
    set(THR);
  };

  i32c(0);
  set(I);
  loopStart(); // rows
  exitIfGe(I, ROWS);
  addr(COUNTS, I);
  i32load();
  set(N);
  // sp = scores + 4·i·k, ip = ids + 4·i·k, op = out + 4·i·stride
  get(I);
  get(K);
  f.byte(I32_MUL);
  i32c(2);
  f.byte(I32_SHL);
  set(P); // p: scratch here
  get(SC);
  get(P);
  f.byte(I32_ADD);
  set(SP);
  get(IDS);
  get(P);
  f.byte(I32_ADD);
  set(IP);
  get(I);
  get(STRIDE);
  f.byte(I32_MUL);
  i32c(2);
  f.byte(I32_SHL);
  get(OUT);
  f.byte(I32_ADD);
  set(OP);
  threshold();
  i32c(0);
  set(J);
  loopStart(); // blocks of 4 columns
  exitIfGe(J, W);
  get(W);
  set(END);
  // A whole block of 4 with no candidate is skipped; otherwise its columns (or the tail) go one by one.
  get(J);
  i32c(4);
  f.byte(I32_ADD);
  get(W);
  f.byte(I32_LE_S).byte(IF).byte(VOID);
  addr(OP, J);
  f.byte(0xfd).u32(0x00).u32(2).u32(0); // v128.load
  get(THR);
  simd(F32X4_SPLAT);
  simd(CAND4);
  simd(V128_ANY_TRUE);
  f.byte(I32_EQZ).byte(IF).byte(VOID);
  inc(J, 4);
  f.byte(BR).u32(2); // next block (the loop, two ifs out)
  f.byte(END_);
  get(J);
  i32c(4);
  f.byte(I32_ADD);
  set(END);
  f.byte(END_);
  loopStart(); // columns j < end, one at a time
  exitIfGe(J, END);
  addr(OP, J);
  f32load();
  set(S);
  get(S);
  get(THR);
  f.byte(CAND).byte(IF).byte(VOID);
  get(J0);
  get(J);
  f.byte(I32_ADD);
  set(ID);
  // A full row keeps its worst on a tie when that one has the lower column.
  get(N);
  get(K);
  f.byte(I32_EQ);
  get(S);
  get(THR);
  f.byte(F32_EQ).byte(I32_AND);
  get(ID);
  addr(IP, K, -1);
  i32load();
  f.byte(I32_GT_S).byte(I32_AND);
  f.byte(I32_EQZ).byte(IF).byte(VOID);
  // p = n < k ? n++ : k − 1
  get(N);
  get(K);
  i32c(1);
  f.byte(I32_SUB);
  get(N);
  get(K);
  f.byte(I32_LT_S).byte(SELECT);
  set(P);
  get(N);
  get(N);
  get(K);
  f.byte(I32_LT_S).byte(I32_ADD);
  set(N);
  loopStart(); // shift the worse kept results back by one
  get(P);
  f.byte(I32_EQZ).byte(BR_IF).u32(1);
  addr(SP, P, -1);
  f32load();
  set(PS);
  // stop at a kept result that ranks first: a better score, or (rarely) the same score and a lower column
  get(PS);
  get(S);
  f.byte(BETTER).byte(BR_IF).u32(1);
  get(PS);
  get(S);
  f.byte(F32_EQ).byte(IF).byte(VOID);
  addr(IP, P, -1);
  i32load();
  get(ID);
  f.byte(I32_LT_S).byte(BR_IF).u32(2);
  f.byte(END_);
  addr(SP, P);
  get(PS);
  f32store();
  addr(IP, P);
  addr(IP, P, -1);
  i32load();
  i32store();
  inc(P, -1);
  loopEnd();
  addr(SP, P);
  get(S);
  f32store();
  addr(IP, P);
  get(ID);
  i32store();
  threshold();
  f.byte(END_); // not a losing tie
  f.byte(END_); // a candidate
  inc(J, 1);
  loopEnd(); // columns
  loopEnd(); // blocks
  addr(COUNTS, I);
  get(N);
  i32store();
  inc(I, 1);
  loopEnd(); // rows
  f.byte(END_);
  return oneFunctionModule('offer', [I32, I32, I32, I32, I32, I32, I32, I32, I32], [], f);
}
