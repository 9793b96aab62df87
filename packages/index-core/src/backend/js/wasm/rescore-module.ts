import { ByteWriter, I32, V128, functionOps, oneFunctionModule } from './bytes.js';

/**
 * Emits a WebAssembly SIMD module with one export, `rescore(pairs, groups, out)`: the float32 dot products of
 * 4·groups pairs of rows, summed exactly as the GEMM kernels sum them (gemm-module.ts: products in float32, added in
 * t order from +0 over dimP = ⌈dim/4⌉·4 coordinates, the padding zeros included). Pair p is two byte addresses of
 * float32 rows, at pairs + 8p (x row, then y row); its sum goes to out + 4p.
 *
 * Four pairs at a time, one per lane: for each 4 coordinates the 4 pairs' products come from 4 multiplies of
 * contiguous loads, and a 4×4 transpose (8 shuffles) lines them up so that one add per coordinate keeps every
 * lane's sum in t order. The screened arg-max (screened-best.ts) scores its candidates with it.
 */
export function rescoreModuleBytes(dimP: number): Uint8Array {
  // params: 0 pairs, 1 groups, 2 out; locals (i32): 3 g, 4 pp, 5..12 row addresses (x0, y0, x1, y1, ...); (v128) 13 acc, 14..17 products, 18..21 half-transposed
  const PAIRS = 0, GROUPS = 1, OUT = 2;
  const G = 3, PP = 4, ADDR = 5, ACC = 13, PROD = 14, HALF = 18;
  const f = new ByteWriter();
  f.u32(2).u32(10).byte(I32).u32(9).byte(V128);
  const { get, set, i32c, simd, vconst, loopStart, loopEnd, exitIfGe, inc } = functionOps(f);
  const I32_ADD = 0x6a;
  const V128_LOAD = 0x00, V128_STORE = 0x0b, SHUFFLE = 0x0d, F32X4_ADD = 0xe4, F32X4_MUL = 0xe6;
  const vload = (offset: number) => simd(V128_LOAD).u32(4).u32(offset);
  const shuffle = (a: number, b: number, lanes: readonly number[]) => {
    get(a);
    get(b);
    simd(SHUFFLE);
    for (const l of lanes) for (let k = 0; k < 4; k++) f.byte(4 * l + k);
  };

  get(PAIRS);
  set(PP);
  loopStart(); // groups of 4 pairs
  exitIfGe(G, GROUPS);
  for (let a = 0; a < 8; a++) {
    get(PP);
    f.byte(0x28).u32(2).u32(4 * a); // i32.load
    set(ADDR + a);
  }
  vconst([0, 0, 0, 0], true);
  set(ACC);
  for (let t = 0; t < dimP; t += 4) {
    for (let p = 0; p < 4; p++) {
      get(ADDR + 2 * p);
      vload(4 * t);
      get(ADDR + 2 * p + 1);
      vload(4 * t);
      simd(F32X4_MUL);
      set(PROD + p);
    }
    // [A0 B0 A1 B1], [A2 B2 A3 B3], [C0 D0 C1 D1], [C2 D2 C3 D3] → coordinate t + c of all 4 pairs
    shuffle(PROD, PROD + 1, [0, 4, 1, 5]);
    set(HALF);
    shuffle(PROD, PROD + 1, [2, 6, 3, 7]);
    set(HALF + 1);
    shuffle(PROD + 2, PROD + 3, [0, 4, 1, 5]);
    set(HALF + 2);
    shuffle(PROD + 2, PROD + 3, [2, 6, 3, 7]);
    set(HALF + 3);
    for (let c = 0; c < 4; c++) {
      get(ACC);
      shuffle(HALF + (c >> 1), HALF + 2 + (c >> 1), c % 2 === 0 ? [0, 1, 4, 5] : [2, 3, 6, 7]);
      simd(F32X4_ADD);
      set(ACC);
    }
  }
  get(OUT);
  get(ACC);
  simd(V128_STORE).u32(4).u32(0);
  inc(OUT, 16);
  inc(PP, 32);
  inc(G, 1);
  loopEnd();
  f.byte(0x0b);
  return oneFunctionModule('rescore', [I32, I32, I32], [], f);
}
