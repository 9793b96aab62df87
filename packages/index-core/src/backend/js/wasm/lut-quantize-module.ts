import { ByteWriter, F32, I32, V128, functionOps, oneFunctionModule } from './bytes.js';

const V128_LOAD = 0x00, V128_STORE = 0x0b, F32X4_SPLAT = 0x13, F32X4_EXTRACT = 0x1f;
const F32X4_ADD = 0xe4, F32X4_SUB = 0xe5, F32X4_MUL = 0xe6, F32X4_PMIN = 0xea, F32X4_PMAX = 0xeb, I8X16_SHUFFLE = 0x0d;
const I32X4_TRUNC_SAT_F32X4_S = 0xf8, I16X8_NARROW_I32X4_U = 0x86, I8X16_NARROW_I16X8_U = 0x66;
const I32_ADD = 0x6a, F32_LOAD = 0x2a, F32_STORE = 0x38, F32_SUB = 0x93;

/** Emits `name`'s loop over `rows` table rows of 16 float32 (64 bytes each); `body` works on row pointer T. */
function rowLoop(
  name: string,
  params: number[],
  extraF32: number,
  body: (ops: ReturnType<typeof functionOps>, f: ByteWriter, locals: { R: number; T: number; F: number; V: number }) => void,
  sharedMemory: boolean,
): Uint8Array {
  const f = new ByteWriter();
  const R = params.length; // row counter, after the params
  const T = R + 1; // current row's byte address
  const F = T + 1; // first f32 local
  const V = F + extraF32; // first v128 local
  f.u32(3).u32(2).byte(I32).u32(extraF32).byte(F32).u32(4).byte(V128);
  const ops = functionOps(f);
  ops.get(0);
  ops.set(T);
  ops.loopStart();
  ops.exitIfGe(R, 1);
  body(ops, f, { R, T, F, V });
  ops.get(T);
  ops.i32c(64);
  f.byte(I32_ADD);
  ops.set(T);
  ops.get(R);
  ops.i32c(1);
  f.byte(I32_ADD);
  ops.set(R);
  ops.loopEnd();
  f.byte(0x0b);
  return oneFunctionModule(name, params, [], f, sharedMemory);
}

/** Byte indices of an i8x16.shuffle that swaps a vector's float32 lanes pairwise at distance `d` (2: halves; 1: neighbours). */
const swapLanes = (d: number) => Array.from({ length: 16 }, (_, i) => ((((i >> 2) ^ d) << 2) | (i & 3)));

/**
 * `stats(t, rows, mins, spans)`: for each of `rows` rows of 16 float32 at byte t, its minimum and its span
 * (maximum − minimum, float32) as float32 at mins + 4r and spans + 4r. The first half of faiss's LUT quantization
 * (quantize-luts reference in the tests): min and max are exact, so the lane order does not matter.
 *
 * With pmin / pmax ("b < a ? b : a", one minps / maxps each, as faiss's scalar `<` loop compares), not min / max:
 * V8 lowers the IEEE forms (NaN propagation, −0 below +0) to several instructions each, and the scalar f32.min / max
 * of a lane-by-lane reduction to compare-and-branch sequences. The tables hold no NaN (queries and codebooks are
 * checked finite); a row's minimum differs at most in the sign of a zero, which no quantized byte sees.
 */
export function lutStatsModuleBytes(sharedMemory = false): Uint8Array {
  // params 0 t, 1 rows, 2 mins, 3 spans
  return rowLoop('stats', [I32, I32, I32, I32], 2, ({ get, set, simd }, f, { R, T, F, V }) => {
    const MN = F, MX = F + 1;
    for (let j = 0; j < 4; j++) {
      get(T);
      simd(V128_LOAD).u32(4).u32(16 * j);
      set(V + j);
    }
    // Lanes of pmin(pmin(v0, v1), pmin(v2, v3)), then across the 4 lanes by two swaps; the same for max.
    for (const [VOP, OUT] of [[F32X4_PMIN, MN], [F32X4_PMAX, MX]] as const) {
      get(V);
      get(V + 1);
      simd(VOP);
      get(V + 2);
      get(V + 3);
      simd(VOP);
      simd(VOP);
      const lanes = V + (OUT === MN ? 0 : 1); // a scratch v128 (v0 / v1 are no longer needed after their use)
      for (const d of [2, 1]) {
        set(lanes);
        get(lanes);
        get(lanes);
        get(lanes);
        simd(I8X16_SHUFFLE).bytes(swapLanes(d));
        simd(VOP);
      }
      simd(F32X4_EXTRACT).byte(0);
      set(OUT);
      if (OUT === MN) {
        // v0 now holds the min lanes: reload v0 for the max pass.
        get(T);
        simd(V128_LOAD).u32(4).u32(0);
        set(V);
      }
    }
    // mins[r] = mn; spans[r] = mx − mn
    const rowAddr = (base: number) => {
      get(base);
      get(R);
      f.byte(0x41).i32(2);
      f.byte(0x74); // i32.shl
      f.byte(I32_ADD);
    };
    rowAddr(2);
    get(MN);
    f.byte(F32_STORE).u32(2).u32(0);
    rowAddr(3);
    get(MX);
    get(MN);
    f.byte(F32_SUB);
    f.byte(F32_STORE).u32(2).u32(0);
  }, sharedMemory);
}

/**
 * `round(t, rows, mins, a, out)`: faiss's round_tab on each of `rows` rows of 16 float32 at byte t: entry x of row r
 * becomes floor((x − mins[r])·a + 0.5), float32 step by step as in faiss's C++ (WebAssembly's float32 arithmetic is
 * IEEE single precision, so the bytes equal a scalar float32 loop's), truncated (≥ 0.5, so the floor; the signed
 * conversion, as the values are positive: V8 lowers the unsigned one to twice the instructions) and narrowed
 * with unsigned saturation to one uint8 row of 16 at out + 16r.
 */
export function lutRoundModuleBytes(sharedMemory = false): Uint8Array {
  // params 0 t, 1 rows, 2 mins, 3 a (f32), 4 out
  return rowLoop('round', [I32, I32, I32, F32, I32], 0, ({ get, set, simd, i32c }, f, { R, T, V }) => {
    const MN = V, A = V + 1, HALF = V + 2, W = V + 3;
    get(2);
    get(R);
    i32c(2);
    f.byte(0x74);
    f.byte(I32_ADD);
    f.byte(F32_LOAD).u32(2).u32(0);
    simd(F32X4_SPLAT);
    set(MN);
    get(3);
    simd(F32X4_SPLAT);
    set(A);
    f.byte(0x43).f32(0.5); // f32.const 0.5
    simd(F32X4_SPLAT);
    set(HALF);
    // out + 16r, under the four quarters' narrowed values
    get(4);
    get(R);
    i32c(4);
    f.byte(0x74);
    f.byte(I32_ADD);
    for (let j = 0; j < 4; j++) {
      get(T);
      simd(V128_LOAD).u32(4).u32(16 * j);
      get(MN);
      simd(F32X4_SUB);
      get(A);
      simd(F32X4_MUL);
      get(HALF);
      simd(F32X4_ADD);
      simd(I32X4_TRUNC_SAT_F32X4_S);
      if (j % 2 === 1) simd(I16X8_NARROW_I32X4_U);
      if (j === 1) set(W);
    }
    // stack: out address, narrowed quarters 2–3; W: quarters 0–1
    set(HALF);
    get(W);
    get(HALF);
    simd(I8X16_NARROW_I16X8_U);
    simd(V128_STORE).u32(4).u32(0);
  }, sharedMemory);
}
