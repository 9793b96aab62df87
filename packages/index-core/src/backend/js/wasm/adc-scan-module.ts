import { ByteWriter, F32, I32, oneFunctionModule } from './bytes.js';

/**
 * Emits a WebAssembly module with one export, `scan(codes, n, table, bias, thr, out, base) -> count`, the
 * PQ look-up-and-add loop for one (M, ksub, direction), fully unrolled:
 *
 *   for i in 0..n:  s = bias + Σ_m table[m·ksub + codes[i·M + m]]      (float32, as faiss)
 *                   if s reaches thr (≥ for higher-is-better, ≤ else): out[count++] = (base + i, s)
 *
 * Why WebAssembly: the same loop in JS pays a bounds check on every byte and every table load, and
 * in float64. Here each load's constant part (m, m·ksub·4) is the instruction's offset immediate.
 * The caller filters with a threshold fixed for the whole call and appends the candidates that reach it to its
 * reservoir (kernel-reservoir.ts), whose entries are `out`: labels base + i, so one query's lists number their codes
 * in one running sequence. Ties with the threshold pass, so the reservoir can break them by id.
 * Pointers are byte addresses in the imported memory `env.memory`.
 */
export function adcScanModuleBytes(M: number, ksub: number, higherIsBetter: boolean, sharedMemory = false): Uint8Array {
  // (i32 codes, i32 n, i32 table, f32 bias, f32 thr, i32 out, i32 base) -> i32, exported as "scan"
  // params: 0 codes, 1 n, 2 table, 3 bias, 4 thr, 5 out, 6 base; locals: 7 i, 8 count, 9 s (f32)
  const codes = 0, n = 1, table = 2, bias = 3, thr = 4, out = 5, base = 6, i = 7, count = 8, s = 9;
  const f = new ByteWriter();
  f.u32(2).u32(2).byte(I32).u32(1).byte(F32); // local decls: 2×i32, 1×f32
  const localGet = (x: number) => f.byte(0x20).u32(x);
  const localSet = (x: number) => f.byte(0x21).u32(x);
  const localTee = (x: number) => f.byte(0x22).u32(x);

  // term m: f32.load offset=m·ksub·4 (table + (u8 codes[m] << 2))
  const term = (m: number) => {
    localGet(table);
    localGet(codes);
    f.byte(0x2d).u32(0).u32(m); // i32.load8_u align=0 offset=m
    f.byte(0x41).i32(2).byte(0x74); // i32.const 2; i32.shl
    f.byte(0x6a); // i32.add
    f.byte(0x2a).u32(2).u32(m * ksub * 4); // f32.load align=4 offset
  };
  f.byte(0x02).byte(0x40); // block
  f.byte(0x03).byte(0x40); //   loop
  localGet(i);
  localGet(n);
  f.byte(0x4f); // i32.ge_u
  f.byte(0x0d).u32(1); // br_if 1 (exit block)
  // s = (((bias + t_0) + t_1) + …): faiss's order of float32 adds, so near-ties rank as in faiss.
  // (A balanced tree measured no faster: consecutive codes' chains already overlap.)
  localGet(bias);
  for (let m = 0; m < M; m++) {
    term(m);
    f.byte(0x92); // f32.add
  }
  localTee(s);
  localGet(thr);
  f.byte(higherIsBetter ? 0x60 : 0x5f); // f32.ge / f32.le
  f.byte(0x04).byte(0x40); // if
  // out[count] = (i, s): i32.store at out + count·8, f32.store at +4
  localGet(out);
  localGet(count);
  f.byte(0x41).i32(3).byte(0x74).byte(0x6a); // out + (count << 3)
  localGet(i);
  localGet(base);
  f.byte(0x6a); // i32.add
  f.byte(0x36).u32(2).u32(0); // i32.store
  localGet(out);
  localGet(count);
  f.byte(0x41).i32(3).byte(0x74).byte(0x6a);
  localGet(s);
  f.byte(0x38).u32(2).u32(4); // f32.store offset=4
  localGet(count);
  f.byte(0x41).i32(1).byte(0x6a);
  localSet(count);
  f.byte(0x0b); // end if
  localGet(codes);
  f.byte(0x41).i32(M).byte(0x6a);
  localSet(codes);
  localGet(i);
  f.byte(0x41).i32(1).byte(0x6a);
  localSet(i);
  f.byte(0x0c).u32(0); // br 0 (loop)
  f.byte(0x0b); // end loop
  f.byte(0x0b); // end block
  localGet(count);
  f.byte(0x0b); // end function

  return oneFunctionModule('scan', [I32, I32, I32, F32, F32, I32, I32], [I32], f, sharedMemory);
}
