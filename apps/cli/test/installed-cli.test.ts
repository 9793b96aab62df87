import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeVectors } from '@libvq/dataset';
import { startRedis } from '@libvq/cluster/testing';
import { installPacked, run } from './helpers/packed-install.js';
import { clusteredVectors } from './index-fixtures.js';
import { writeTinyCollection } from './tiny-collection.js';

/*
 * The path a user takes: every package packed, the tarballs installed into an empty directory, and the
 * installed `libvq` binary (the tsup bundle in dist/, not the TypeScript source) run from a directory with
 * no repository around it: the README's main job (`libvq demo` on its embedded Cranfield), then one command
 * of each kind on a small collection.
 */
const root = mkdtempSync(join(tmpdir(), 'libvq-installed-'));
const work = join(root, 'work');
const env = { ...process.env, LIBVQ_CACHE_DIR: join(root, 'cache') };
let bin = '';
let app = '';
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  app = await installPacked(root, ['index-core', 'dataset', 'encoder', 'glove', 'train', 'cluster', 'cli']);
  bin = join(app, 'node_modules', '.bin', 'libvq');
  mkdirSync(work);
}, 300_000);

const libvq = (args: string[], cwd = work) => run(bin, args, { cwd, env, maxBuffer: 1 << 26 });

describe('the installed libvq binary', () => {
  it('is the bundle, not the source', () => {
    expect(readFileSync(bin, 'utf8')).toMatch(/dist\/main\.js/);
  });

  it('libvq demo runs the main job on the embedded Cranfield, end to end, and learning beats OPQ', async () => {
    const cwd = join(root, 'demo');
    mkdirSync(cwd);
    const t0 = performance.now();
    const r = await libvq(['demo'], cwd);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`installed libvq demo: ${seconds.toFixed(0)} s`);
    expect(r.stdout).toMatch(/data\/cranfield/);
    const { rows } = JSON.parse(readFileSync(join(cwd, 'demo-out', 'results.json'), 'utf8')) as { rows: { method: string; bytes: number; mrr10: number }[] };
    for (const bytes of [4, 10]) {
      const opq = rows.find((x) => x.bytes === bytes && x.method.startsWith('OPQ'))!;
      const learned = rows.filter((x) => x.bytes === bytes && x.method.startsWith('distill'));
      expect(learned.length).toBe(2);
      for (const l of learned) expect(l.mrr10, `${bytes} B ${l.method}`).toBeGreaterThan(opq.mrr10);
    }
    for (const f of ['report.md', 'chart.svg', 'training.svg']) expect(existsSync(join(cwd, 'demo-out', f)), f).toBe(true);
  }, 900_000);

  it('preprocess, encode, build, train, search and eval run on a small collection', async () => {
    await writeTinyCollection(join(work, 'tiny'), { docs: 300, queries: 60 });
    await libvq(['preprocess', '--data', 'tiny', '--out', 'pre', '--tokenizer', 'glove-100']);
    await libvq(['encode', '--data', 'pre', '--prefix', 'docs,train-queries,dev-queries', '--model', 'glove-100', '--out', 'pre']);
    expect(existsSync(join(work, 'pre', 'docs.embeddings.arrow'))).toBe(true);
    const built = await libvq(['build', 'pre/docs.embeddings.arrow', '--factory', 'IVF4,PQ10x8', '-o', 'built.faiss']);
    expect(built.stdout + built.stderr).toMatch(/300/);
    writeFileSync(join(work, 'train.json'), JSON.stringify({ factory: 'OPQ10,PQ10x8', lossMethod: 'distill', docScope: 'corpus' }));
    await libvq(['train', '--data', 'pre', '--config', 'train.json', '--epochs', '1', '-o', 'trained']);
    expect(existsSync(join(work, 'trained', 'index.faiss'))).toBe(true);
    await libvq(['search', '--index', 'trained/index.faiss', '--queries', 'pre/dev-queries.embeddings.arrow', '--k', '20', '-o', 'dev.results.arrow']);
    const ev = await libvq(['eval', '--results', 'dev.results.arrow', '--exact', 'pre/docs.embeddings.arrow']);
    expect(ev.stdout).toMatch(/R@1/);
  }, 300_000);

  it("the README's many-machines commands: 2 installed `libvq worker`s and `libvq cluster build` give `libvq build`'s bytes (100,000 x 32, IVF1024)", async () => {
    const redis = await startRedis();
    const userEnv: NodeJS.ProcessEnv = { ...env };
    delete userEnv.NODE_PATH; // as run() does: the installed app alone, not the repository's store
    const workers = [0, 1].map(() => spawn(bin, ['worker', '--redis', redis.url], { cwd: work, env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await writeVectors(join(work, 'many.npy'), clusteredVectors(100_000, 32, 8, 64));
      const opts = ['--factory', 'IVF1024,PQ8x8', '--metric', 'l2', '--train-size', '50000'];
      await libvq(['build', 'many.npy', ...opts, '-o', 'one.faiss']);
      const r = await libvq(['cluster', 'build', 'many.npy', ...opts, '--redis', redis.url, '--shard-rows', '25000', '-o', 'many.faiss']);
      expect(r.stdout).toMatch(/ntotal 100000, .* 4 shards encoded and merged/);
      expect(readFileSync(join(work, 'many.faiss')).equals(readFileSync(join(work, 'one.faiss')))).toBe(true);
    } finally {
      for (const w of workers) w.kill('SIGKILL');
      await redis.stop();
    }
    // Without the optional @libvq/cluster, the cluster commands say what to install. pnpm links a package next to
    // the CLI's real directory, in its hoisted .pnpm/node_modules and in the app's node_modules: hide all three.
    const links = [
      join(realpathSync(join(app, 'node_modules', '@libvq', 'cli')), '..', 'cluster'),
      join(app, 'node_modules', '.pnpm', 'node_modules', '@libvq', 'cluster'),
      join(app, 'node_modules', '@libvq', 'cluster'),
    ].filter((p) => existsSync(p));
    for (const p of links) renameSync(p, `${p}.away`);
    try {
      await expect(libvq(['worker', '--redis', 'redis://127.0.0.1:1'])).rejects.toThrow(/UNSUPPORTED.*npm i @libvq\/cluster/);
    } finally {
      for (const p of links) renameSync(`${p}.away`, p);
    }
  }, 300_000);
});
