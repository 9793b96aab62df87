import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pq4ScanDigest } from './helpers/pq4-scan-digest.js';

/**
 * Where the engine has relaxed SIMD, the fast-scan kernel looks its tables up with i8x16.relaxed_swizzle
 * (relaxed-simd.ts), whose result is defined exactly for the masked nibbles it is given. Oracle: every code's uint16
 * sum, sorted stably (test/helpers/pq4-scan-digest.ts), in this process and in a child process run with
 * --experimental-wasm-relaxed-simd (Node 20 has relaxed SIMD only behind the flag); the two processes' results
 * compared byte for byte, and, in the child, the two kernels' stored scores block by block (from Node 22 both
 * processes run the relaxed kernel, and that comparison still tells them apart).
 */
describe('fast-scan with i8x16.relaxed_swizzle', () => {
  it('gives the same results, byte for byte, as with i8x16.swizzle', () => {
    const here = pq4ScanDigest();
    const url = (f: string) => JSON.stringify(pathToFileURL(join(import.meta.dirname, f)).href);
    const child = [
      `import { relaxedSimd } from ${url('../src/backend/js/wasm/relaxed-simd.ts')};`,
      `import { pq4ScanModuleBytes } from ${url('../src/backend/js/wasm/pq4-scan-module.ts')};`,
      `import { pq4ScanDigest } from ${url('./helpers/pq4-scan-digest.ts')};`,
      // The two kernels on 64 random blocks (every byte value), both directions, one query and three (the path that
      // splits the nibbles once for all): the stored scores must be equal.
      'let same = true;',
      'for (const hib of [true, false]) for (const G of [1, 3]) {',
      '  const M2 = 26, nb = 64, memory = new WebAssembly.Memory({ initial: 8, maximum: 65536, shared: true });',
      '  const u8 = new Uint8Array(memory.buffer), i32 = new Int32Array(memory.buffer);',
      '  for (let i = 0; i < nb * 16 * M2 + 3 * 16 * M2; i++) u8[i] = (i * 2654435761) >>> 24;',
      '  const records = 131072, split = 135168;',
      '  const outs = [true, false].map((relaxed, v) => {',
      '    const scan = new WebAssembly.Instance(new WebAssembly.Module(pq4ScanModuleBytes(M2, hib, relaxed)), { env: { memory } }).exports.scan;',
      '    const out = 262144 + v * 3 * nb * 64;',
      '    for (let g = 0; g < G; g++) i32.set([nb * 16 * M2 + g * 16 * M2, 7 + g, out + g * nb * 64, 0], records / 4 + 4 * g);',
      '    scan(0, nb, 32, records, G, split, 0);',
      '    return Buffer.from(u8.slice(out, out + G * nb * 64));',
      '  });',
      '  same &&= outs[0].equals(outs[1]);',
      '}',
      'console.log(JSON.stringify({ relaxedSimd, same, ...pq4ScanDigest() }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', '--input-type=module', '-e', child], { encoding: 'utf8', timeout: 120_000 });
    const got = JSON.parse(out.trim().split('\n').pop()!);
    expect(got.relaxedSimd).toBe(true);
    expect(got.same).toBe(true);
    expect(here.wrong).toBe(0);
    expect(got.wrong).toBe(0);
    expect(got.digest).toBe(here.digest);
  });
});
