/// <reference path="./webassembly.d.ts" />
import { ByteWriter, V128, oneFunctionModule } from './bytes.js';

/**
 * Whether this engine runs WebAssembly's relaxed SIMD (V8 11.4+, so Node 22 and later; Node 20 only with
 * --experimental-wasm-relaxed-simd): a module using i8x16.relaxed_swizzle validates. Kernels that only ever pass
 * in-range indices (0..15), where the relaxed instruction is defined to give exactly what i8x16.swizzle gives, use it
 * when it is there: V8 lowers i8x16.swizzle to a saturating add (so that indices ≥ 16 select 0) and the shuffle, the
 * relaxed one to the shuffle alone — fast-scan's kernel is 8–15% faster per block with it, with the same results.
 */
export const relaxedSimd: boolean = (() => {
  const f = new ByteWriter();
  f.u32(0); // no locals
  f.byte(0x20).u32(0).byte(0x20).u32(1); // local.get 0, local.get 1
  f.byte(0xfd).u32(0x100); // i8x16.relaxed_swizzle
  f.byte(0x0b);
  try {
    return WebAssembly.validate(oneFunctionModule('swizzle', [V128, V128], [V128], f));
  } catch {
    return false;
  }
})();
