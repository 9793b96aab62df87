import { ByteWriter, I32, V128, functionOps, oneFunctionModule } from './bytes.js';

/**
 * Emits a WebAssembly SIMD module with one export, `quantize(x, rows, q, scales, l1, l2)`: the screened arg-max's
 * int16 rows (screened-best.ts). For each of `rows` float32 rows of dim8 values at x (dim8 a multiple of 8, a
 * compile-time constant; zero padded), with m = max_t |x_t|:
 *
 *   scale = m / Q (float32)       q_t = round-to-even(x_t · (1 / scale))       (scale 0 and q = 0 when m / Q < 2^-100)
 *
 * written as dim8 int16 at q + 2·dim8·i, and the scale, Σ|x_t| and Σx_t² (float32 sums in 4 lanes, then the
 * lanes) as float32 at scales, l1, l2 + 4i. |q_t| ≤ Q: x_t · (1 / scale) is within 2^-23·Q of x_t / scale.
 */
export function quantizeRowsModuleBytes(dim8: number, Q: number): Uint8Array {
  // params: 0 x, 1 rows, 2 q, 3 scales, 4 l1, 5 l2; locals (i32): 6 i; (f32) 7 m, 8 scale, 9 inv; (v128) 10 mx, 11 s1, 12 s2, 13 a, 14 iv
  const X = 0, ROWS = 1, QP = 2, SCALES = 3, L1 = 4, L2 = 5;
  const I = 6, M = 7, SCALE = 8, INV = 9, MX = 10, S1 = 11, S2 = 12, A = 13, IV = 14;
  const f = new ByteWriter();
  f.u32(3).u32(1).byte(I32).u32(3).byte(0x7d).u32(5).byte(V128);
  const { get, set, i32c, simd, vconst, loopStart, loopEnd, exitIfGe, inc } = functionOps(f);
  const I32_ADD = 0x6a, I32_MUL = 0x6c;
  const F32_LOAD = 0x2a, F32_STORE = 0x38, F32_ADD = 0x92, F32_DIV = 0x95, F32_MAX = 0x97, F32_EQ = 0x5b, F32_LT = 0x5d;
  const V128_LOAD = 0x00, V128_STORE = 0x0b, F32X4_SPLAT = 0x13, F32X4_EXTRACT = 0x1f, F32X4_NEAREST = 0x6a;
  const I16X8_NARROW_I32X4_S = 0x85, F32X4_ABS = 0xe0, F32X4_ADD = 0xe4, F32X4_MUL = 0xe6, F32X4_PMAX = 0xeb;
  const I32X4_TRUNC_SAT_F32X4_S = 0xf8;
  const vload = (offset: number) => simd(V128_LOAD).u32(4).u32(offset);
  /** Pushes base + i·scale. */
  const at = (base: number, scale: number) => {
    get(base);
    get(I);
    i32c(scale);
    f.byte(I32_MUL);
    f.byte(I32_ADD);
  };
  /** Pushes the horizontal reduction of a v128 local by a scalar op. */
  const reduce = (local: number, op: number) => {
    for (let l = 0; l < 4; l++) {
      get(local);
      simd(F32X4_EXTRACT).byte(l);
      if (l > 0) f.byte(op);
    }
  };

  i32c(0);
  set(I);
  loopStart();
  exitIfGe(I, ROWS);
  vconst([0, 0, 0, 0], true);
  set(MX);
  vconst([0, 0, 0, 0], true);
  set(S1);
  vconst([0, 0, 0, 0], true);
  set(S2);
  for (let v = 0; v < dim8 / 4; v++) {
    at(X, dim8 * 4);
    vload(16 * v);
    simd(F32X4_ABS);
    set(A);
    get(MX);
    get(A);
    simd(F32X4_PMAX);
    set(MX);
    get(S1);
    get(A);
    simd(F32X4_ADD);
    set(S1);
    get(S2);
    get(A);
    get(A);
    simd(F32X4_MUL);
    simd(F32X4_ADD);
    set(S2);
  }
  // m = max of lanes; scale = m / Q, or 0 below 2^-100 (a tiny row is not quantized: its 1 / scale could overflow,
  // its quantization error bound by Σ|x| instead); inv = scale = 0 ? 0 : 1 / scale
  reduce(MX, F32_MAX);
  set(M);
  f.byte(0x43).f32(0);
  get(M);
  f.byte(0x43).f32(Q);
  f.byte(F32_DIV);
  set(SCALE);
  get(SCALE);
  get(SCALE);
  f.byte(0x43).f32(2 ** -100);
  f.byte(F32_LT);
  f.byte(0x1b); // select: scale < 2^-100 → 0
  set(SCALE);
  f.byte(0x43).f32(0);
  f.byte(0x43).f32(1);
  get(SCALE);
  f.byte(F32_DIV);
  get(SCALE);
  f.byte(0x43).f32(0);
  f.byte(F32_EQ);
  f.byte(0x1b); // select: scale = 0 → 0
  set(INV);
  at(SCALES, 4);
  get(SCALE);
  f.byte(F32_STORE).u32(2).u32(0);
  at(L1, 4);
  reduce(S1, F32_ADD);
  f.byte(F32_STORE).u32(2).u32(0);
  at(L2, 4);
  reduce(S2, F32_ADD);
  f.byte(F32_STORE).u32(2).u32(0);
  get(INV);
  simd(F32X4_SPLAT);
  set(IV);
  for (let v = 0; v < dim8 / 8; v++) {
    at(QP, dim8 * 2);
    for (let h = 0; h < 2; h++) {
      at(X, dim8 * 4);
      vload(32 * v + 16 * h);
      get(IV);
      simd(F32X4_MUL);
      simd(F32X4_NEAREST);
      simd(I32X4_TRUNC_SAT_F32X4_S);
    }
    simd(I16X8_NARROW_I32X4_S);
    simd(V128_STORE).u32(4).u32(16 * v);
  }
  inc(I, 1);
  loopEnd();
  f.byte(0x0b);
  return oneFunctionModule('quantize', [I32, I32, I32, I32, I32, I32], [], f);
}
