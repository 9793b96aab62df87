import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import * as suite from '@libvq/benchmarks/suite';
import { registerBench, registerBenchFrom } from '../src/commands/bench.js';
import { runLibvq } from './cli-runner.js';
import { writeTinyCollection } from './tiny-collection.js';

const root = mkdtempSync(join(tmpdir(), 'libvq-cli-bench-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});

/** `libvq bench ...` with the benchmark's run replaced by a recorder: what would `pnpm bench` have been given? */
async function argvFor(args: string[]) {
  const runBenchmark = vi.fn(async (_name: string, _argv: string[]) => undefined);
  const r = await runLibvq([(p) => registerBenchFrom(p, { ...suite, runBenchmark })], ['bench', ...args]);
  return { ...r, calls: runBenchmark.mock.calls };
}

describe('libvq bench', () => {
  it('passes the benchmark its options as `pnpm bench <name>` takes them', async () => {
    const r = await argvFor(['glove', '--quick', '--nprobes', '4,16', '--factories', 'IVF8,PQ4x8;OPQ4,IVF8,PQ4x8', '--threads', '2', '--skip-faiss']);
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([['glove', ['--quick', '--factories', 'IVF8,PQ4x8;OPQ4,IVF8,PQ4x8', '--nprobes', '4,16', '--skip-faiss', '--threads', '2']]]);
    for (const [name, argv] of r.calls) expect(() => suite.checkBenchArgs(name, argv)).not.toThrow();
    const t = await argvFor(['glove-train', '--lr-codebooks', '1e-2', '--epochs', '1', '--temperature', 'auto']);
    expect(t.calls).toEqual([['glove-train', ['--epochs', '1', '--temperature', 'auto', '--lr-codebooks', '0.01']]]); // numbers as checked (the value main() reads)
  });

  it('refuses an unknown benchmark, an unknown option and a malformed value before running anything', async () => {
    const name = await argvFor(['glvoe']);
    expect(name.code).not.toBe(0);
    expect(name.err).toMatch(/unknown command 'glvoe'/);
    const opt = await argvFor(['glove', '--quik']);
    expect(opt.code).not.toBe(0);
    expect(opt.err).toMatch(/unknown option '--quik'/);
    const value = await argvFor(['cranfield', '--bytes', '4,x']);
    expect(value.code).not.toBe(0);
    expect(value.err).toMatch(/--bytes: expected integers separated by ","/);
    for (const r of [name, opt, value]) expect(r.calls).toEqual([]);
  });

  it('says where the benchmarks live when the package is not installed (a published libvq)', async () => {
    const r = await runLibvq([(p) => registerBenchFrom(p, null)], ['bench', 'glove', '--quick']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/\[UNSUPPORTED\].*cannot load the benchmarks \(@libvq\/benchmarks.*not published\); run `pnpm libvq bench <name>`/);
  });

  it('runs a real benchmark: bench cranfield on a small LibVQ-layout collection, with the options given', async () => {
    const data = join(root, 'data');
    const out = join(root, 'out');
    await writeTinyCollection(data, { docs: 300, queries: 30 }); // 256 PQ codewords need >= 256 documents
    const r = await runLibvq([registerBench], ['bench', 'cranfield', '--data', data, '--bytes', '4', '--epochs', '1', '--out', out]);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'train-cranfield.json'), 'utf8')) as { dataDir: string; epochs: number; rows: { bytes: number; method: string }[] };
    expect(json.dataDir).toBe(data);
    expect(json.epochs).toBe(1);
    const quantized = json.rows.filter((x) => !x.method.startsWith('dense'));
    expect(quantized.length).toBeGreaterThanOrEqual(6);
    expect(new Set(quantized.map((x) => x.bytes))).toEqual(new Set([4]));
    expect(r.out).toContain('| 4 | PQ4x8 |');
    expect(readdirSync(out).sort()).toEqual(['train-cranfield.json', 'train-cranfield.md']);
  }, 300_000);
});
