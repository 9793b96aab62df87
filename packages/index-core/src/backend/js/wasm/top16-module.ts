import { ByteWriter, I32, V128, functionOps, oneFunctionModule } from './bytes.js';

/**
 * Emits the candidate selection of fast-scan (pq4-scanner.ts): one export
 *
 *   select(buf, n, k, out) -> m
 *
 * over n uint16 scores at byte buf (higher is better; the scan kernel stores l2 sums complemented), a buffer with
 * room for n rounded up to 32. It writes to `out` m (i32 index, i32 score) pairs in index order that hold the k best
 * by (score, then smaller index), and returns m:
 *  - n ≤ 2k: every score (m = n);
 *  - else it bisects the score range for a threshold t with SIMD counts of "score ≥ t" (8 lanes per step; for
 *    n ≥ 32k first on every 8th vector, to guess t, then checked on all):
 *    as soon as k ≤ count ≤ 2k it writes those (m = count); when ties keep every count out of that window, it
 *    narrows to the k-th best score t itself and writes the scores above t and the first ties at t, exactly k.
 * The caller sorts the m by score (stable, so ties stay in index order) and keeps the first k. Replaces a
 * reservoir fed by the scan kernel above a running bound: its quickselects and appends took ~14 µs of a ~50 µs
 * fast-scan query at nprobe 8 (GloVe, k = 100, ~3,700 codes); counting passes over 7 KB of scores take ~0.3 µs each.
 * Scores past n (the padding of a list's last block) are overwritten with 0 up to a multiple of 32 and never written out.
 */
export function top16ModuleBytes(): Uint8Array {
  // params 0 buf, 1 n, 2 k, 3 out; locals (i32) 4 p, 5 end, 6 lo, 7 hi, 8 mid, 9 c, 10 chi, 11 ta, 12 tb, 13 need,
  // 14 m, 15 mask, 16 base, 17 idx, 18 s, 19 slo, 20 shi, 21 end8, 22 ona; (v128) 23 acc, 24 tav, 25 tbv
  const BUF = 0, N = 1, K = 2, OUT = 3, P = 4, END = 5, LO = 6, HI = 7, MID = 8, C = 9, CHI = 10, TA = 11, TB = 12;
  const NEED = 13, M = 14, MASK = 15, BASE = 16, IDX = 17, S = 18, SLO = 19, SHI = 20, END8 = 21, ONA = 22;
  const ACC = 23, TAV = 24, TBV = 25;
  const f = new ByteWriter();
  f.u32(2).u32(19).byte(I32).u32(3).byte(V128);
  const { get, set, i32c, simd, inc } = functionOps(f);
  const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_AND = 0x71, I32_OR = 0x72, I32_SHL = 0x74, I32_SHR_U = 0x76, I32_CTZ = 0x68;
  const I32_LT_U = 0x49, I32_GT_U = 0x4b, I32_LE_U = 0x4d, I32_GE_U = 0x4f, I32_EQZ = 0x45;
  const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, END_ = 0x0b, BR = 0x0c, BR_IF = 0x0d, VOID = 0x40;
  const V128_LOAD = 0x00, I16X8_SPLAT = 0x10, I16X8_EQ = 0x2d, I16X8_GE_U = 0x36, I16X8_BITMASK = 0x84;
  const I16X8_SUB = 0x91, I16X8_MAX_U = 0x99, I16X8_EXTRACT_U = 0x19, I32X4_EXTADD_U = 0x7f, I32X4_EXTRACT = 0x1b;
  const zeros = () => simd(0x0c).bytes(new Uint8Array(16));
  const load16 = () => f.byte(0x2f).u32(1).u32(0); // i32.load16_u
  /** for (p = buf; p < end; p += 16·step) { body(offset) for each of `unroll` vectors at p + 16·offset } */
  const overVectors = (body: (offset: number) => void, step = 1, unroll = 1) => {
    get(BUF);
    set(P);
    f.byte(BLOCK).byte(VOID).byte(LOOP).byte(VOID);
    get(P);
    get(END);
    f.byte(I32_GE_U).byte(BR_IF).u32(1);
    for (let u = 0; u < unroll; u++) body(16 * u);
    inc(P, 16 * step * unroll);
    f.byte(BR).u32(0).byte(END_).byte(END_);
  };
  /** Pushes how many scores (every `step`-th vector) are ≥ local t (i32). */
  const countAtLeast = (t: number, step: number) => {
    zeros();
    set(ACC);
    get(t);
    simd(I16X8_SPLAT);
    set(TAV);
    overVectors(
      (o) => {
        get(ACC);
        get(P);
        simd(V128_LOAD).u32(0).u32(o);
        get(TAV);
        simd(I16X8_GE_U);
        simd(I16X8_SUB); // a passing lane is −1
        set(ACC);
      },
      step,
      step === 1 ? 4 : 1,
    );
    laneSum();
  };
  /** Pushes the sum of acc's eight u16 lanes (i32). */
  const laneSum = () => {
    get(ACC);
    simd(I32X4_EXTADD_U);
    set(ACC);
    for (let l = 0; l < 4; l++) {
      get(ACC);
      simd(I32X4_EXTRACT).byte(l);
      if (l > 0) f.byte(I32_ADD);
    }
  };

  // end = buf + 2·round32(n): the scores from n to there read 0 (the worst), so the passes take 4 vectors a step;
  // end8 = buf + 2·round8(n) bounds the collection.
  for (const [local, r] of [[END, 32], [END8, 8]] as const) {
    get(BUF);
    get(N);
    i32c(r - 1);
    f.byte(I32_ADD);
    i32c(-r);
    f.byte(I32_AND);
    i32c(1);
    f.byte(I32_SHL).byte(I32_ADD);
    set(local);
  }
  get(BUF);
  get(N);
  i32c(1);
  f.byte(I32_SHL).byte(I32_ADD);
  set(P);
  f.byte(BLOCK).byte(VOID).byte(LOOP).byte(VOID);
  get(P);
  get(END);
  f.byte(I32_GE_U).byte(BR_IF).u32(1);
  get(P);
  i32c(0);
  f.byte(0x3b).u32(1).u32(0); // i32.store16
  inc(P, 2);
  f.byte(BR).u32(0).byte(END_).byte(END_);

  /** Pushes local a ≤ 2k. */
  const atMostTwoK = (a: number) => {
    get(a);
    get(K);
    i32c(1);
    f.byte(I32_SHL);
    f.byte(I32_LE_U);
  };
  /** Pushes (local a + local b) >> 1. */
  const midpoint = (a: number, b: number) => {
    get(a);
    get(b);
    f.byte(I32_ADD);
    i32c(1);
    f.byte(I32_SHR_U);
  };

  /**
   * Counts the scores ≥ mid and narrows: fewer than k: hi = mid (chi their count); k to 2k: ta = mid and a branch to
   * $collect, three blocks out (both callers sit two blocks inside it); more: lo = mid.
   */
  const narrowAtMid = () => {
    countAtLeast(MID, 1);
    set(C);
    get(C);
    get(K);
    f.byte(I32_LT_U);
    f.byte(IF).byte(VOID);
    get(MID);
    set(HI);
    get(C);
    set(CHI);
    f.byte(ELSE);
    atMostTwoK(C);
    f.byte(IF).byte(VOID);
    get(MID);
    set(TA);
    f.byte(BR).u32(3); // br $collect (if, if/else, and the caller's if or loop)
    f.byte(END_);
    get(MID);
    set(LO);
    f.byte(END_);
  };

  // $collect: the block the threshold search leaves with ta (scores ≥ ta are kept), tb and need (the first `need`
  // scores equal to tb are kept too).
  f.byte(BLOCK).byte(VOID);
  // n ≤ 2k: everything (ta = 0, need = 0 are the locals' initial values).
  atMostTwoK(N);
  f.byte(BR_IF).u32(0);
  // hi = 65536: nothing scores hi; lo = 0: at least k (n > 2k) score lo. (A pass for the maximum, to start lower,
  // cost more than the two or three bisection steps on the sample it saves.)
  i32c(65536);
  set(HI);
  i32c(65536);
  set(SHI);

  // n ≥ 32k: a first guess from every 8th vector (a threshold 1.25k..1.75k of whose scores, times 8, pass), checked
  // with one full count; a miss still bounds the bisection below.
  get(N);
  get(K);
  i32c(5);
  f.byte(I32_SHL);
  f.byte(I32_GE_U);
  f.byte(IF).byte(VOID);
  f.byte(BLOCK).byte(VOID).byte(LOOP).byte(VOID); // $guessed, $sample
  get(SLO);
  set(MID);
  get(SHI);
  get(SLO);
  f.byte(I32_SUB);
  i32c(1);
  f.byte(I32_LE_U).byte(BR_IF).u32(1);
  midpoint(SLO, SHI);
  set(MID);
  countAtLeast(MID, 8);
  i32c(3);
  f.byte(I32_SHL);
  set(C);
  /** c cmp limit: the sample's bound becomes mid, and the bisection goes on. */
  const moveSampleBound = (limit: () => void, cmp: number, bound: number) => {
    get(C);
    limit();
    f.byte(cmp);
    f.byte(IF).byte(VOID);
    get(MID);
    set(bound);
    f.byte(BR).u32(1); // again
    f.byte(END_);
  };
  // c < 1.25k: hi comes down; c > 1.75k: lo goes up.
  moveSampleBound(
    () => {
      get(K);
      get(K);
      i32c(2);
      f.byte(I32_SHR_U);
      f.byte(I32_ADD);
    },
    I32_LT_U,
    SHI,
  );
  moveSampleBound(
    () => {
      get(K);
      i32c(1);
      f.byte(I32_SHL);
      get(K);
      i32c(2);
      f.byte(I32_SHR_U);
      f.byte(I32_SUB);
    },
    I32_GT_U,
    SLO,
  );
  f.byte(END_).byte(END_); // end $sample, $guessed
  narrowAtMid();
  f.byte(END_);

  f.byte(LOOP).byte(VOID); // $bisect
  // hi − lo ≤ 1: lo is the k-th best score: above it (chi of them) all, then ties at lo.
  get(HI);
  get(LO);
  f.byte(I32_SUB);
  i32c(1);
  f.byte(I32_LE_U);
  f.byte(IF).byte(VOID);
  get(HI);
  set(TA);
  get(LO);
  set(TB);
  get(K);
  get(CHI);
  f.byte(I32_SUB);
  set(NEED);
  f.byte(BR).u32(2); // br $collect
  f.byte(END_);
  midpoint(LO, HI);
  set(MID);
  narrowAtMid();
  f.byte(BR).u32(0); // again
  f.byte(END_); // end $bisect
  f.byte(END_); // end $collect

  // Collect in index order: per 8 scores, the lanes ≥ ta, and while ties are needed the lanes = tb; lanes past n
  // masked off. ta is 65536 when the k-th best is 65535 (none above it): a splat would wrap it to 0, so ona (0xff,
  // or 0 for that case) masks the lanes ≥ ta.
  get(TA);
  simd(I16X8_SPLAT);
  set(TAV);
  i32c(0xff);
  i32c(0);
  get(TA);
  i32c(0xffff);
  f.byte(I32_LE_U);
  f.byte(0x1b); // select
  set(ONA);
  get(TB);
  simd(I16X8_SPLAT);
  set(TBV);
  get(END8);
  set(END);
  overVectors(() => {
    get(P);
    simd(V128_LOAD).u32(0).u32(0);
    set(ACC);
    get(ACC);
    get(TAV);
    simd(I16X8_GE_U);
    simd(I16X8_BITMASK);
    get(ONA);
    f.byte(I32_AND);
    get(NEED);
    f.byte(IF).byte(0x7f); // if (result i32)
    get(ACC);
    get(TBV);
    simd(I16X8_EQ);
    simd(I16X8_BITMASK);
    f.byte(ELSE);
    i32c(0);
    f.byte(END_);
    f.byte(I32_OR);
    set(MASK);
    // Most vectors have no lane to keep: only those go on.
    get(MASK);
    f.byte(IF).byte(VOID);
    // index base = (p − buf) / 2; lanes ≥ n − base are padding.
    get(P);
    get(BUF);
    f.byte(I32_SUB);
    i32c(1);
    f.byte(I32_SHR_U);
    set(BASE);
    get(N);
    get(BASE);
    f.byte(I32_SUB);
    i32c(8);
    f.byte(I32_LT_U);
    f.byte(IF).byte(VOID);
    get(MASK);
    i32c(1);
    get(N);
    get(BASE);
    f.byte(I32_SUB);
    f.byte(I32_SHL);
    i32c(1);
    f.byte(I32_SUB);
    f.byte(I32_AND);
    set(MASK);
    f.byte(END_);
    f.byte(BLOCK).byte(VOID).byte(LOOP).byte(VOID);
    get(MASK);
    f.byte(I32_EQZ).byte(BR_IF).u32(1);
    get(BASE);
    get(MASK);
    f.byte(I32_CTZ);
    f.byte(I32_ADD);
    set(IDX);
    get(MASK);
    get(MASK);
    i32c(1);
    f.byte(I32_SUB);
    f.byte(I32_AND);
    set(MASK);
    get(BUF);
    get(IDX);
    i32c(1);
    f.byte(I32_SHL).byte(I32_ADD);
    load16();
    set(S);
    // A tie (score < ta): kept while need > 0.
    get(S);
    get(TA);
    f.byte(I32_LT_U);
    f.byte(IF).byte(VOID);
    get(NEED);
    f.byte(I32_EQZ).byte(BR_IF).u32(1); // br $next (if = 0, loop = 1)
    inc(NEED, -1);
    f.byte(END_);
    get(OUT);
    get(M);
    i32c(3);
    f.byte(I32_SHL).byte(I32_ADD);
    get(IDX);
    f.byte(0x36).u32(2).u32(0); // i32.store
    get(OUT);
    get(M);
    i32c(3);
    f.byte(I32_SHL).byte(I32_ADD);
    get(S);
    f.byte(0x36).u32(2).u32(4); // i32.store offset=4
    inc(M, 1);
    f.byte(BR).u32(0).byte(END_).byte(END_);
    f.byte(END_); // end if mask
  });
  get(M);
  f.byte(END_);
  // Shared memory: the scanner's head lies in the lists' arena, which every thread's kernels import.
  return oneFunctionModule('select', [I32, I32, I32, I32], [I32], f, true);
}
