import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openVectors, readVectors, writeVectors } from '@libvq/dataset';
import { addBatches, readIndex, serializeIndex } from '@libvq/index-core';
import { labelsFromRanking, readRankingFile, virtualLabels } from '@libvq/train/fit';
import { startRedis, type RedisServer } from '@libvq/cluster/testing';
import { registerCluster } from '../src/commands/cluster.js';
import { registerTrain } from '../src/commands/train.js';
import { resolveModel } from '../src/models/resolve-model.js';
import { writeTinyCollection } from './tiny-collection.js';
import { encodeTexts } from '@libvq/encoder';
import { joinFields } from '@libvq/dataset/tokens';
import { runLibvq } from './cli-runner.js';
import { clusteredVectors, libvq } from './index-fixtures.js';

/*
 * `libvq cluster build` on `libvq worker` processes and a real redis-server, against the oracle that matters: the
 * bytes of the one-process `libvq build` with the same options. Then the faults: a worker killed (SIGKILL) in the
 * middle of a job, Redis killed and restarted mid-run, a corrupt shard of the input, and a password-protected Redis
 * whose password never reaches the output.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = join(ROOT, 'apps/cli/src/main.ts');
const dir = mkdtempSync(join(tmpdir(), 'libvq-cluster-'));
const ROWS = 200_000;
const DIM = 64;
const vectors = join(dir, 'docs.npy');
const BUILD = ['--factory', 'IVF1024,PQ8x8', '--metric', 'l2', '--seed', '11', '--train-size', '50000'];
let redis: RedisServer;
let expected: Buffer;
const workers: Worker[] = [];

interface Worker {
  proc: ChildProcess;
  log: string;
  /** Resolves with the first log line matching re. */
  waitFor(re: RegExp): Promise<string>;
}

/** A `libvq worker` process with a 2 s lock (a dead worker's job is run again within seconds). */
async function startWorker(url: string, queue: string): Promise<Worker> {
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, 'worker', '--redis', url, '--queue', queue, '--lock-ms', '2000'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w: Worker = {
    proc,
    log: '',
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const line = w.log.split('\n').find((l) => re.test(l));
          if (line !== undefined) {
            proc.stdout!.off('data', check);
            resolve(line);
          }
        };
        proc.stdout!.on('data', check);
        proc.once('exit', (code) => reject(new Error(`worker exited (${code}) before ${re}:\n${w.log}`)));
        check();
      }),
  };
  proc.stdout!.on('data', (d: Buffer) => (w.log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (w.log += d.toString()));
  workers.push(w);
  await w.waitFor(/ready: queue/);
  return w;
}

async function stopWorkers(): Promise<void> {
  await Promise.all(
    workers.splice(0).map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.proc.exitCode !== null || w.proc.signalCode !== null) return resolve();
          w.proc.once('exit', () => resolve());
          w.proc.kill('SIGKILL');
        }),
    ),
  );
}

function clusterBuild(url: string, queue: string, out: string, ...extra: string[]) {
  return runLibvq([registerCluster], ['cluster', 'build', vectors, '--redis', url, '--queue', queue, '-o', out, '--shard-rows', '40000', ...BUILD, ...extra]);
}

beforeAll(async () => {
  await writeVectors(vectors, clusteredVectors(ROWS, DIM, 3, 64));
  redis = await startRedis();
  const single = join(dir, 'single.faiss');
  const r = await libvq('build', vectors, ...BUILD, '-o', single);
  expect(r.code, r.err).toBe(0);
  expected = readFileSync(single);
});

afterEach(async () => {
  process.exitCode = 0;
  await stopWorkers();
});

afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('libvq cluster build on libvq worker processes (real Redis)', () => {
  it('3 workers build the 200,000-vector IVF1024,PQ8x8 index of `libvq build`, byte for byte; the shards spread over the workers', async () => {
    const ws = await Promise.all([0, 1, 2].map(() => startWorker(redis.url, 'three')));
    const out = join(dir, 'three.faiss');
    const r = await clusterBuild(redis.url, 'three', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/ntotal 200000, .* 5 shards encoded and merged/);
    expect(r.err).toMatch(/encoding shards \(all workers\) \[#+\] 100% 200000\/200000/);
    expect(r.err).toMatch(/training PQ8x8 codebooks \[#+\] 100% 8\/8/);
    expect(readFileSync(out).equals(expected)).toBe(true);
    const busy = ws.filter((w) => /encode \S+ done/.test(w.log)).length;
    expect(busy).toBeGreaterThanOrEqual(2);
  });

  it('a worker killed (SIGKILL) in the middle of an encode job: the job runs again on another worker, same bytes', async () => {
    const a = await startWorker(redis.url, 'kill');
    const out = join(dir, 'kill.faiss');
    const run = clusterBuild(redis.url, 'kill', out);
    const started = await a.waitFor(/encode \S+ started/);
    const jobId = /encode (\S+) started/.exec(started)![1];
    a.proc.kill('SIGKILL');
    const b = await startWorker(redis.url, 'kill');
    const r = await run;
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(out).equals(expected)).toBe(true);
    expect(a.log).not.toContain(`encode ${jobId} done`);
    expect(b.log).toContain(`encode ${jobId} started`);
    expect(b.log).toContain(`encode ${jobId} done`);
  });

  it('Redis killed and restarted in the middle of the run (append-only file): the run resumes, same bytes', async () => {
    const a = await startWorker(redis.url, 'restart');
    await startWorker(redis.url, 'restart');
    const out = join(dir, 'restart.faiss');
    const run = clusterBuild(redis.url, 'restart', out);
    await a.waitFor(/encode \S+ started/);
    await redis.restart(1000);
    const r = await run;
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(out).equals(expected)).toBe(true);
  });

  it('the enqueuer killed mid-run (SIGKILL) and started again with --run NAME: it follows the same run to the same bytes', async () => {
    await startWorker(redis.url, 'reattach');
    const out = join(dir, 'reattach.faiss');
    const args = ['cluster', 'build', vectors, '--redis', redis.url, '--queue', 'reattach', '-o', out, '--shard-rows', '40000', ...BUILD];
    const first = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const run = await new Promise<string>((resolve, reject) => {
      first.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        // Killed once the train job is done and the shards are enqueued: the run must go on without it.
        if (/encoding shards/.test(err)) resolve(/run (\S+) on/.exec(err)![1]);
      });
      first.once('exit', (code) => reject(new Error(`the enqueuer exited (${code}) early:\n${err}`)));
    });
    first.kill('SIGKILL');
    const r = await runLibvq([registerCluster], [...args, '--run', run]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`run ${run}: ntotal 200000`);
    expect(readFileSync(out).equals(expected)).toBe(true);
  });

  it('a corrupt shard of the input (a NaN written into row 150,001 after training): its job fails after 2 attempts and the run says which rows and why', async () => {
    const bad = join(dir, 'bad.npy');
    copyFileSync(vectors, bad);
    // Training reads (and checks) every row, so the damage comes after it: the worker that trained is killed once
    // the train job is done, the file is damaged, and a fresh worker takes the encode jobs.
    const trainer = await startWorker(redis.url, 'poison');
    const t0 = performance.now();
    const run = runLibvq([registerCluster], ['cluster', 'build', bad, '--redis', redis.url, '--queue', 'poison', '-o', join(dir, 'bad.faiss'), '--shard-rows', '40000', '--attempts', '2', ...BUILD]);
    await trainer.waitFor(/train \S+ done/);
    trainer.proc.kill('SIGKILL');
    const header = readFileSync(vectors).subarray(0, 256).indexOf(0x0a) + 1; // .npy: the header ends with \n
    const fd = openSync(bad, 'r+');
    writeSync(fd, new Uint8Array(new Float32Array([Number.NaN]).buffer), 0, 4, header + (150_001 * DIM + 5) * 4);
    closeSync(fd);
    await startWorker(redis.url, 'poison');
    const r = await run;
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/encode job \S+ \(rows \[120000, 160000\) of .*bad\.npy\) failed after 2 attempt\(s\): NON_FINITE: .*bad\.npy: row 150001, component 5 is NaN/);
    expect(performance.now() - t0).toBeLessThan(90_000);
  });

  it('a Redis with a user and password: redis://user:password@host works, and the password is in no output', async () => {
    const secured = await startRedis({ user: 'alice', password: 's3cret-pw' });
    try {
      const w = await startWorker(secured.url, 'auth');
      const small = join(dir, 'small.npy');
      await writeVectors(small, clusteredVectors(5000, 16, 4));
      const args = ['--factory', 'IVF16,PQ4x8', '--seed', '2'];
      const one = join(dir, 'small-one.faiss');
      expect((await libvq('build', small, ...args, '-o', one)).code).toBe(0);
      const out = join(dir, 'small-cluster.faiss');
      const r = await runLibvq([registerCluster], ['cluster', 'build', small, '--redis', secured.url, '--queue', 'auth', '-o', out, '--shard-rows', '1500', ...args]);
      expect(r.code, r.err).toBe(0);
      expect(readFileSync(out).equals(readFileSync(one))).toBe(true);
      expect(r.err).toContain('redis://alice:***@127.0.0.1');
      for (const text of [r.out, r.err, w.log]) expect(text).not.toContain('s3cret');
      // A wrong password is an error that names the server, not the password.
      const wrong = await runLibvq([registerCluster], ['cluster', 'build', small, '--redis', secured.url.replace('s3cret-pw', 'nope-pw'), '--queue', 'auth', '-o', out, ...args]);
      expect(wrong.code).not.toBe(0);
      expect(wrong.err).not.toContain('nope-pw');
    } finally {
      await secured.stop();
    }
  });

  it('cluster encode: a trained index re-encoded on 2 workers equals reset() + add() of the rows in one process', async () => {
    await Promise.all([0, 1].map(() => startWorker(redis.url, 'encode')));
    const half = join(dir, 'half.npy');
    const x = (await readVectors(vectors)).matrix;
    await writeVectors(half, { rows: 120_000, dim: DIM, data: x.data.subarray(40_000 * DIM, 160_000 * DIM) });
    const out = join(dir, 'reencoded.faiss');
    const r = await runLibvq([registerCluster], ['cluster', 'encode', half, '--index', join(dir, 'single.faiss'), '--redis', redis.url, '--queue', 'encode', '--shard-rows', '25000', '-o', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/ntotal 120000, .* 5 shards encoded and merged/);
    const oracle = await readIndex(join(dir, 'single.faiss'));
    oracle.reset();
    const src = await openVectors(half);
    await addBatches(oracle, src.batches(30_000));
    await src.close();
    expect(readFileSync(out).equals(Buffer.from(serializeIndex(oracle)))).toBe(true);
  });

  it('cluster label: the ranking mined on 2 workers gives the virtual labels of virtualLabels() on the same index; libvq train takes it', async () => {
    await Promise.all([0, 1].map(() => startWorker(redis.url, 'label')));
    const queries = join(dir, 'queries.npy');
    const q = clusteredVectors(3000, DIM, 21, 64);
    await writeVectors(queries, q);
    const out = join(dir, 'labels.lvqr');
    const r = await runLibvq([registerCluster], ['cluster', 'label', '--index', join(dir, 'single.faiss'), '--queries', queries, '--neg-num', '49', '--nprobe', '16', '--redis', redis.url, '--queue', 'label', '--shard-rows', '700', '-o', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/3000 queries x 50 ranked ids, .* 5 shards/);
    const ranking = await readRankingFile(out);
    const got = labelsFromRanking(ranking.ids, ranking.rows, ranking.k, 49);
    const want = virtualLabels(await readIndex(join(dir, 'single.faiss')), q, 49, 16);
    expect(got.rels.size).toBe(3000);
    expect([...got.rels.entries()].map(([k, v]) => [k, Array.from(v)])).toEqual([...want.rels.entries()].map(([k, v]) => [k, Array.from(v)]));
    expect([...got.negs.entries()].map(([k, v]) => [k, Array.from(v)])).toEqual([...want.negs.entries()].map(([k, v]) => [k, Array.from(v)]));

    // libvq train takes the file instead of mining (and refuses one of other queries).
    const docs = join(dir, 'train-docs.npy');
    await writeVectors(docs, clusteredVectors(2000, DIM, 5, 16));
    const small = join(dir, 'small-labels.lvqr');
    await startWorker(redis.url, 'label');
    const idx = join(dir, 'train-docs.faiss');
    expect((await libvq('build', docs, '--factory', 'PQ8x8', '--metric', 'ip', '-o', idx)).code).toBe(0);
    const q2 = join(dir, 'train-queries.npy');
    await writeVectors(q2, clusteredVectors(400, DIM, 6, 16));
    expect((await runLibvq([registerCluster], ['cluster', 'label', '--index', idx, '--queries', q2, '--neg-num', '20', '--redis', redis.url, '--queue', 'label', '--shard-rows', '150', '-o', small])).code).toBe(0);
    const trained = await runLibvq([registerTrain], ['train', '--docs', docs, '--queries', q2, '--factory', 'PQ8x8', '--metric', 'ip', '--virtual-labels', small, '--epochs', '1', '-o', join(dir, 'trained')]);
    expect(trained.code, trained.err).toBe(0);
    expect(trained.err).not.toMatch(/virtual labels: /); // nothing mined here
    const wrong = await runLibvq([registerTrain], ['train', '--docs', docs, '--queries', queries, '--factory', 'PQ8x8', '--metric', 'ip', '--virtual-labels', small, '--epochs', '1', '-o', join(dir, 'trained2')]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toMatch(/--virtual-labels .*small-labels\.lvqr: a ranking of queries \[0, 400\), the training queries .*queries\.npy are 3000/);
  });

  it('cluster embed: collection.tsv through glove-100 on 2 workers equals encodeTexts in one process; a malformed line is named', async () => {
    await Promise.all([0, 1].map(() => startWorker(redis.url, 'embed')));
    const data = join(dir, 'tiny');
    await writeTinyCollection(data, { docs: 2500, queries: 10 });
    const collection = join(data, 'collection.tsv');
    const out = join(dir, 'docs.npy');
    const r = await runLibvq([registerCluster], ['cluster', 'embed', collection, '--model', 'glove-100', '--redis', redis.url, '--queue', 'embed', '--shard-rows', '600', '-o', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/2500 records x 100, .* 5 shards/); // 600 lines rounded up to whole batches of 32: 608
    const model = await resolveModel('glove-100');
    const tokenizer = await model.tokenizer();
    const texts = readFileSync(collection, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => joinFields(l.split('\t').slice(1), tokenizer.separator));
    const want = await encodeTexts({ encoder: await model.encoder(), tokenizer, texts });
    const got = (await readVectors(out)).matrix;
    expect(got.rows).toBe(2500);
    expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(want.data.buffer, want.data.byteOffset, want.data.byteLength))).toBe(true);

    const bad = join(dir, 'bad-collection.tsv');
    const lines = readFileSync(collection, 'utf8').split('\n');
    lines[1700] = 'no-tab-here';
    writeFileSync(bad, lines.join('\n'));
    const b = await runLibvq([registerCluster], ['cluster', 'embed', bad, '--redis', redis.url, '--queue', 'embed', '--shard-rows', '600', '--attempts', '1', '-o', join(dir, 'bad.npy')]);
    expect(b.code).not.toBe(0);
    expect(b.err).toMatch(/embed job \S+ \(lines \[1216, 1824\) of .*bad-collection\.tsv\) failed after 1 attempt\(s\): BAD_FILE: .*bad-collection\.tsv:1701: expected "id \\t text/);
  });
});
