import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IndexFlat, LibvqError, ProductQuantizer, indexFactory } from '../src/index.js';
import { MAX_DIMENSION } from '../src/util.js';

// Sizes read from a file or given as parameters are checked against the bytes present or a stated limit before
// anything of that size is allocated. Each hostile file runs in a fresh process so its resident-set growth is its own.
const script = fileURLToPath(new URL('./helpers/tiny-file-case.ts', import.meta.url));

function runCase(name: string): { growthMb: number; code: string } {
  const out = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', script, name], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('no allocation before a check', () => {
  it('an untrained IVF file declaring 2^22 lists: a clean error, the process grows < 100 MB (was 1.7 GB and 14 s)', () => {
    const r = runCase('ivf-nlist');
    expect(r.code).toBe('BAD_FILE');
    expect(r.growthMb).toBeLessThan(100);
  });

  it('a 69-byte PQ file declaring a 1 GiB codebook: a clean error before the codebook exists', () => {
    const r = runCase('pq-dim');
    expect(['BAD_FILE']).toContain(r.code);
    expect(r.growthMb).toBeLessThan(100);
  });

  it('dimensions above 2^20 are refused at the call (the reader refuses them too, so nothing is written that cannot be read)', () => {
    for (const make of [() => indexFactory(MAX_DIMENSION + 1, 'Flat'), () => new IndexFlat(2 ** 21), () => new ProductQuantizer(2 ** 21, 1, 8)]) {
      expect(make).toThrow(LibvqError);
      expect(make).toThrow(/from 1 to 1048576/);
    }
    expect(new IndexFlat(MAX_DIMENSION).d).toBe(MAX_DIMENSION);
  });
});
