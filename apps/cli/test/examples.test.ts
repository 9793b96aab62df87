import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyCollection } from './tiny-collection.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const root = mkdtempSync(join(tmpdir(), 'libvq-examples-'));
const data = join(root, 'data');
const work = join(root, 'work');
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => writeTinyCollection(data, { docs: 300, queries: 60 }));

/** Runs an example as a user would: node with tsx, from the repository root, on the generated collection. */
async function example(file: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', join('examples', file), data, work], { cwd: repo, maxBuffer: 1 << 24 });
  return stdout;
}

describe('README examples (examples/*.ts)', () => {
  it('the README quotes every example file verbatim', () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    for (const f of ['1-prepare.ts', '2-build.ts', '3-train.ts', '4-evaluate.ts', '5-save-load.ts', 'own-encoder.ts', 'faiss-interop.ts', 'encode-shards.ts']) {
      const code = readFileSync(join(repo, 'examples', f), 'utf8');
      expect(readme, f).toContain('```ts\n' + code + '```');
    }
  });

  it('runs the five LibVQ steps in order, then the own-encoder, encode-shards and faiss examples', async () => {
    expect(await example('1-prepare.ts')).toMatch(/docs: 300 x 100 .*\ntrain-queries: 40 x 100 .*\ndev-queries: 20 x 100 /);
    expect(await example('2-build.ts')).toMatch(/300 documents/);
    const train = await example('3-train.ts');
    // 40 training queries in batches of 32: one full batch an epoch, 3 epochs.
    const [, before, after] = /^3 steps, loss ([\d.]+) -> ([\d.]+)$/m.exec(train)!;
    expect(Number.isFinite(Number(before)) && Number.isFinite(Number(after))).toBe(true);
    const scores = await example('4-evaluate.ts');
    const mrr = (name: string) => Number(new RegExp(`${name.replace(/[()]/g, '\\$&')}: MRR@10 ([\\d.]+)`).exec(scores)![1]);
    expect(mrr('dense')).toBeGreaterThan(0.5);
    expect(mrr('OPQ (step 2)')).toBeGreaterThan(0);
    expect(mrr('learned (step 3)')).toBeGreaterThan(0);
    expect(await example('5-save-load.ts')).toMatch(/give the same top-10 for 20 queries/);
    expect(await example('own-encoder.ts')).toMatch(/ONNX model: dev-queries 20 x 100\nBaseEncoder subclass: 300 x 64 documents, \d+ training steps/);
    expect(await example('encode-shards.ts')).toMatch(/300 documents encoded in 2 shards \(10 bytes each\): the same bytes as one add\(\)/);
    expect(await example('faiss-interop.ts')).toMatch(/faiss and libvq-ts agree on (99\.\d\d|100\.00)% of the top-10 ids of 300 queries/);
  }, 240_000);
});
