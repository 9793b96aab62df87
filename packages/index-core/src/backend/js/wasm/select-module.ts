import { ByteWriter, F32, I32, functionOps, oneFunctionModule } from './bytes.js';

const I64 = 0x7e;

/**
 * Emits the reservoir's compaction kernel (kernel-reservoir.ts): one export
 *
 *   select(ptr, n, r) -> tieBehind
 *
 * over n 8-byte entries at byte ptr, each an i32 slot then an f32 score. A quickselect
 * (Hoare partition, middle pivot) reorders the entries so that the one of rank r (0-based, best first) is at r and
 * every entry before it scores at least as well; entries move as whole i64s. Returns 1 when an entry after r
 * scores exactly as entry r (a tie the caller breaks by id), else 0. The same algorithm in JavaScript took a
 * quarter of the 8-bit scan's time at nprobe 8 (GloVe, k = 100): ~4 compactions of ~300 entries per query.
 */
export function selectModuleBytes(higherIsBetter: boolean, sharedMemory = false): Uint8Array {
  // params 0 ptr, 1 n, 2 r; locals 3 lo, 4 hi, 5 i, 6 j (i32), 7 t (i64), 8 pivot (score type)
  const PTR = 0, N = 1, R = 2, LO = 3, HI = 4, I = 5, J = 6, T = 7, PIVOT = 8;
  const f = new ByteWriter();
  f.u32(3).u32(4).byte(I32).u32(1).byte(I64).u32(1).byte(F32);
  const { get, set, i32c, inc } = functionOps(f);
  const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_SHL = 0x74;
  const BR = 0x0c, BR_IF = 0x0d, BLOCK = 0x02, LOOP = 0x03, IF = 0x04, END = 0x0b, VOID = 0x40;
  // Score comparisons: "better" is > for higher-is-better, < otherwise; EQ for the tie scan.
  const [GT, LT, EQ] = [0x5e, 0x5d, 0x5b]; // f32.gt, f32.lt, f32.eq
  const BETTER = higherIsBetter ? GT : LT;
  const WORSE = higherIsBetter ? LT : GT;
  /** Pushes the address of entry `local`: ptr + (e << 3). */
  const entry = (local: number) => {
    get(PTR);
    get(local);
    i32c(3);
    f.byte(I32_SHL).byte(I32_ADD);
  };
  const loadScore = () => f.byte(0x2a).u32(2).u32(4); // f32.load offset=4

  // hi = n − 1
  get(N);
  i32c(1);
  f.byte(I32_SUB);
  set(HI);
  f.byte(BLOCK).byte(VOID); // $done
  f.byte(LOOP).byte(VOID); //   $outer
  get(LO);
  get(HI);
  f.byte(0x4e).byte(BR_IF).u32(1); // lo ≥ hi (signed): br $done
  // pivot = score[(lo + hi) >> 1]; i = lo; j = hi
  get(PTR);
  get(LO);
  get(HI);
  f.byte(I32_ADD);
  i32c(1);
  f.byte(0x75); // i32.shr_s
  i32c(3);
  f.byte(I32_SHL).byte(I32_ADD);
  loadScore();
  set(PIVOT);
  get(LO);
  set(I);
  get(HI);
  set(J);
  f.byte(BLOCK).byte(VOID); // $pdone
  f.byte(LOOP).byte(VOID); //   $part
  get(I);
  get(J);
  f.byte(0x4a).byte(BR_IF).u32(1); // i > j (signed): br $pdone
  // while score[i] better than pivot: i++
  f.byte(BLOCK).byte(VOID).byte(LOOP).byte(VOID);
  entry(I);
  loadScore();
  get(PIVOT);
  f.byte(BETTER).byte(0x45).byte(BR_IF).u32(1); // not better: leave
  inc(I, 1);
  f.byte(BR).u32(0).byte(END).byte(END);
  // while score[j] worse than pivot: j--
  f.byte(BLOCK).byte(VOID).byte(LOOP).byte(VOID);
  entry(J);
  loadScore();
  get(PIVOT);
  f.byte(WORSE).byte(0x45).byte(BR_IF).u32(1);
  inc(J, -1);
  f.byte(BR).u32(0).byte(END).byte(END);
  // if i ≤ j: swap entries i and j; i++; j--
  get(I);
  get(J);
  f.byte(0x4c).byte(IF).byte(VOID); // i32.le_s
  entry(I);
  f.byte(0x29).u32(3).u32(0); // i64.load
  set(T);
  entry(I);
  entry(J);
  f.byte(0x29).u32(3).u32(0);
  f.byte(0x37).u32(3).u32(0); // i64.store
  entry(J);
  get(T);
  f.byte(0x37).u32(3).u32(0);
  inc(I, 1);
  inc(J, -1);
  f.byte(END);
  f.byte(BR).u32(0); // br $part
  f.byte(END).byte(END); // end $part, $pdone
  // r ≤ j: hi = j, again; r ≥ i: lo = i, again; else entry r is in place.
  get(R);
  get(J);
  f.byte(0x4c).byte(IF).byte(VOID);
  get(J);
  set(HI);
  f.byte(BR).u32(1); // br $outer (if = 0, outer loop = 1)
  f.byte(END);
  get(R);
  get(I);
  f.byte(0x4e).byte(IF).byte(VOID); // i32.ge_s
  get(I);
  set(LO);
  f.byte(BR).u32(1);
  f.byte(END);
  f.byte(BR).u32(1); // br $done
  f.byte(END).byte(END); // end $outer, $done

  // Tie scan: does an entry after r score exactly as entry r?
  entry(R);
  loadScore();
  set(PIVOT);
  get(R);
  set(I);
  f.byte(BLOCK).byte(VOID).byte(LOOP).byte(VOID);
  inc(I, 1);
  get(I);
  get(N);
  f.byte(0x4e).byte(BR_IF).u32(1); // i ≥ n: leave
  entry(I);
  loadScore();
  get(PIVOT);
  f.byte(EQ).byte(IF).byte(VOID);
  i32c(1);
  f.byte(0x0f); // return 1
  f.byte(END);
  f.byte(BR).u32(0).byte(END).byte(END);
  i32c(0);
  f.byte(END);
  return oneFunctionModule('select', [I32, I32, I32], [I32], f, sharedMemory);
}
