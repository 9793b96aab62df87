import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeVectors } from '@libvq/dataset';
import * as suite from '@libvq/benchmarks/suite';
import { registerBenchFrom } from '../src/commands/bench.js';
import { COMMANDS, createProgram } from '../src/program.js';
import { runLibvq } from './cli-runner.js';
import { clusteredVectors } from './index-fixtures.js';

/**
 * --config FILE.json: the oracle for a file is the same command run with the equivalent flags (byte-identical
 * output); flags on the command line must beat the file wherever they stand; bad files fail in one line that
 * names the file, the key and what was expected.
 */
const root = mkdtempSync(join(tmpdir(), 'libvq-cli-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});

const libvq = (...args: string[]) => runLibvq([...COMMANDS], args);
let n = 0;
function config(obj: unknown): string {
  const p = join(root, `c${n++}.json`);
  writeFileSync(p, typeof obj === 'string' ? obj : JSON.stringify(obj));
  return p;
}
const out = (name: string) => join(root, name);

const npy = join(root, 'base.npy');
beforeAll(async () => {
  await writeVectors(npy, clusteredVectors(600, 16, 11));
});

/** Every command that runs something (leaves of the tree), with its path of names. */
function leaves(cmd: Command, path: string[] = []): [string[], Command][] {
  if (cmd.commands.length === 0) return [[path, cmd]];
  return cmd.commands.flatMap((c) => leaves(c, [...path, c.name()]));
}

describe('libvq --config FILE.json', () => {
  it('is an option of every command', () => {
    const all = leaves(createProgram());
    expect(all.map(([p]) => p.join(' '))).toEqual(expect.arrayContaining(['preprocess', 'encode', 'build', 'train', 'search', 'eval', 'demo', 'demo-ann', 'bench glove', 'bench cranfield', 'bench glove-train']));
    for (const [p, cmd] of all) expect(cmd.options.some((o) => o.long === '--config'), p.join(' ')).toBe(true);
  });

  it('build: the API names give the bytes the flags give, and the file can supply the required -o', async () => {
    const viaFlags = await libvq('build', npy, '--factory', 'OPQ4,IVF8,PQ4x6', '--metric', 'l2', '--opq-niter', '5', '--opq-train-points', '500', '--seed', '3', '-o', out('flags.faiss'));
    expect(viaFlags.code).toBe(0);
    const cfg = config({ factory: 'OPQ4,IVF8,PQ4x6', metric: 'l2', opq: { niter: 5, maxTrainPoints: 500 }, seed: 3, out: out('file.faiss') });
    const viaFile = await libvq('build', npy, '--config', cfg);
    expect(viaFile.err).not.toMatch(/error/);
    expect(viaFile.code).toBe(0);
    expect(readFileSync(out('file.faiss')).equals(readFileSync(out('flags.faiss')))).toBe(true);
  });

  it('flags win over the file, before or after --config', async () => {
    const base = ['--factory', 'PQ4x6', '--metric', 'l2'];
    expect((await libvq('build', npy, ...base, '--seed', '7', '-o', out('seed7.faiss'))).code).toBe(0);
    expect((await libvq('build', npy, ...base, '--seed', '5', '-o', out('seed5.faiss'))).code).toBe(0);
    expect(readFileSync(out('seed7.faiss')).equals(readFileSync(out('seed5.faiss')))).toBe(false); // the seed matters
    const cfg = config({ factory: 'PQ4x6', metric: 'l2', seed: 5 });
    expect((await libvq('build', npy, '--config', cfg, '--seed', '7', '-o', out('after.faiss'))).code).toBe(0);
    expect((await libvq('build', npy, '--seed', '7', '--config', cfg, '-o', out('before.faiss'))).code).toBe(0);
    expect(readFileSync(out('after.faiss')).equals(readFileSync(out('seed7.faiss')))).toBe(true);
    expect(readFileSync(out('before.faiss')).equals(readFileSync(out('seed7.faiss')))).toBe(true);
    // A key the command line does not give still comes from the file.
    expect((await libvq('build', npy, '--config', cfg, '-o', out('file5.faiss'))).code).toBe(0);
    expect(readFileSync(out('file5.faiss')).equals(readFileSync(out('seed5.faiss')))).toBe(true);
  });

  it('train: fit\'s names, nested lr / freeze objects, give the checkpoint the flags give', async () => {
    const q = join(root, 'q.npy');
    await writeVectors(q, clusteredVectors(60, 16, 12));
    const flags = ['--docs', npy, '--queries', q, '--factory', 'OPQ4,PQ4x5', '--loss', 'distill', '--scope', 'corpus', '--neg', '3', '--epochs', '1', '--batch-size', '16', '--temperature', '0.1', '--lr-codebooks', '0.003', '--freeze-rotation', '--seed', '4'];
    expect((await libvq('train', ...flags, '-o', out('t-flags'))).code).toBe(0);
    const cfg = config({
      docs: npy, queries: q, factory: 'OPQ4,PQ4x5', lossMethod: 'distill', docScope: 'corpus', perQueryNegNum: 3,
      epochs: 1, batchSize: 16, temperature: 0.1, lr: { codebooks: 0.003 }, freeze: { rotation: true }, seed: 4, out: out('t-file'),
    });
    const r = await libvq('train', '--config', cfg);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out('t-file'), 'index.faiss')).equals(readFileSync(join(out('t-flags'), 'index.faiss')))).toBe(true);
  });

  it('bench: the file\'s keys (lists as arrays) reach the benchmark as its flags, the command line winning', async () => {
    const runBenchmark = vi.fn(async () => undefined);
    const cfg = config({ quick: true, nprobes: [4, 16], seed: 3, factories: ['IVF8,PQ4x8', 'OPQ4,IVF8,PQ4x8'] });
    const r = await runLibvq([(p) => registerBenchFrom(p, { ...suite, runBenchmark })], ['bench', 'glove', '--config', cfg, '--seed', '9', '--skip-lancedb']);
    expect(r.code).toBe(0);
    expect(runBenchmark).toHaveBeenCalledWith('glove', ['--quick', '--factories', 'IVF8,PQ4x8;OPQ4,IVF8,PQ4x8', '--nprobes', '4,16', '--seed', '9', '--skip-lancedb']);
  });

  describe('refuses a bad file in one line naming the file, the key and what was expected', () => {
    const cases: [string, unknown, RegExp][] = [
      ['an unknown key', { factory: 'PQ4x8', nlist: 8 }, /"nlist": unknown key; expected one of out, factory, metric/],
      ['the flag\'s name where the API names it otherwise', { factory: 'OPQ4,PQ4', opqNiter: 5 }, /"opqNiter": unknown key \(did you mean "opq.niter"\? the API's name for --opq-niter\)/],
      ['LibVQ\'s names (LearnableIndex.create\'s, not the CLI\'s)', { indexMethod: 'pq', subvectorNum: 4 }, /"indexMethod": unknown key; expected one of out, factory, metric/],
      ['a kebab-case key', { 'train-size': 100 }, /"train-size": unknown key \(did you mean "trainSize"\?\)/],
      ['a string for a number', { factory: 'PQ4x8', seed: '5' }, /"seed": expected a number, got string "5"/],
      ['a number for a string', { factory: 8 }, /"factory": expected a string, got number 8/],
      ['an out-of-range value', { factory: 'PQ4x8', threads: 0 }, /"threads": --threads must be an integer from 1 to 256, got "0"/],
      ['a wrong choice', { factory: 'PQ4x8', metric: 'dot' }, /"metric": --metric must be "ip" .* got "dot"/],
      ['an object for a value', { factory: { name: 'PQ4x8' } }, /"factory": expected a number or a string \(the value of --factory\), got an object/],
      ['a non-object file', [1, 2], /expected a JSON object of options, got an array/],
      ['invalid JSON', '{"factory": ', /not valid JSON/],
    ];
    it.each(cases)('%s', async (_, obj, message) => {
      const file = config(obj);
      const r = await libvq('build', npy, '--config', file, '-o', out('bad.faiss'));
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain(`--config ${file}`);
      expect(r.err).toMatch(message);
    });

    it('train: a nested key it does not have, a boolean flag given a string, a wrong choice', async () => {
      const nested = config({ lr: { codebooks: 1e-3, everything: 1 } });
      expect((await libvq('train', '--config', nested)).err).toMatch(/"lr\.everything": unknown key/);
      const flag = config({ freeze: { rotation: 'yes' } });
      expect((await libvq('train', '--config', flag)).err).toMatch(/"freeze\.rotation": expected true or false \(the flag --freeze-rotation\), got string "yes"/);
      const choice = config({ lossMethod: 'kl' });
      expect((await libvq('train', '--config', choice)).err).toMatch(/"lossMethod": --loss: expected one of distill, contras, got "kl"/);
    });

    it('lists: an array for a list option, checked item by item; no array for a single value', async () => {
      const bytes = config({ bytes: [4, 0] });
      expect((await libvq('demo', '--config', bytes)).err).toMatch(/"bytes": --bytes must be comma-separated integers >= 1, got "4,0"/);
      const notList = config({ factory: ['PQ4x8'] });
      expect((await libvq('build', npy, '--config', notList, '-o', out('x.faiss'))).err).toMatch(/"factory": expected a number or a string .*got an array/);
    });

    it('a missing file', async () => {
      const r = await libvq('build', npy, '--config', join(root, 'nowhere.json'), '-o', out('x.faiss'));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--config .*nowhere\.json: cannot be read \(ENOENT\)/);
    });
  });
});
