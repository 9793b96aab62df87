/**
 * Concurrent checkpoint stress (run by hand; the test suite runs it with few rounds, checkpoint-concurrency.test.ts):
 *   node --conditions=source --import tsx packages/train/scripts/checkpoint-stress.ts [--rounds 1000] [--writers 3] [--dir DIR] [--json]
 * Three writer processes save training checkpoints to one directory, --rounds saves each, while one reader process
 * loads it in a loop until they are done. Every save writes an index whose first codebook value and train state
 * encode (writer, round); every load must give a checkpoint whose manifest, index and train state name the same
 * (writer, round) (an oracle independent of the checksums) or it counts as a failure. At the end the directory must
 * hold only the current version (no temporary, replaced or stray entries). Prints the counts; exits 1 on any failure.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { matrix } from '@libvq/index-core';
import { LearnableIndex, loadTrainCheckpoint, saveTrainCheckpoint, type TrainState } from '../src/index.js';
import { versionsDirOf } from '../src/checkpoint/index.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const SCALE = 10_000; // codebook[0] = writer * SCALE + round: rounds stay below it

/** The small OPQ index every writer starts from (deterministic: the same in every process). */
function baseIndex(): LearnableIndex {
  const docs = matrix(300, 8);
  let s = 7;
  for (let i = 0; i < docs.data.length; i++) docs.data[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  return LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'opq', subvectorNum: 2, subvectorBits: 4, distMode: 'ip', seed: 1 });
}

function stateFor(writer: number, round: number, ntotal: number): TrainState {
  return {
    epochsDone: 1, step: round, weights: null,
    rels: new Map([[0, Int32Array.of(writer)], [1, Int32Array.of(round % ntotal)]]), negs: null, optimizers: {},
  };
}

interface Report {
  role: string;
  ops: number;
  failures: number;
  errors: string[];
}

function writer(dir: string, id: number, rounds: number): Report {
  const li = baseIndex();
  const r: Report = { role: `writer ${id}`, ops: 0, failures: 0, errors: [] };
  for (let round = 0; round < rounds; round++) {
    li.parts.codebooks!.data[0] = id * SCALE + round;
    try {
      saveTrainCheckpoint(li, dir, stateFor(id, round, li.ntotal), { stress: { writer: id, round } });
    } catch (e) {
      r.failures++;
      if (r.errors.length < 5) r.errors.push((e as Error).message);
    }
    r.ops++;
  }
  return r;
}

function reader(dir: string, stopFile: string): Report {
  const r: Report = { role: 'reader', ops: 0, failures: 0, errors: [] };
  const fail = (msg: string) => {
    r.failures++;
    if (r.errors.length < 5) r.errors.push(msg);
  };
  while (!existsSync(dir)) if (existsSync(stopFile)) return r; // the first save has not landed yet
  for (;;) {
    const last = existsSync(stopFile); // one more load after the writers are done, then stop
    try {
      const { index, state, manifestExtra } = loadTrainCheckpoint(dir);
      const { writer: w, round } = (manifestExtra.stress ?? {}) as { writer: number; round: number };
      const c0 = index.parts.codebooks!.data[0];
      if (c0 !== w * SCALE + round || state.step !== round || state.rels.get(0)?.[0] !== w || state.rels.get(1)?.[0] !== round % index.ntotal) {
        fail(`mixed checkpoint: manifest says writer ${w} round ${round}, index codebook[0] ${c0}, state step ${state.step}`);
      }
    } catch (e) {
      fail((e as Error).message);
    }
    r.ops++;
    if (last) return r;
  }
}

function child(args: string[]): Promise<Report> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`${args.join(' ')} exited ${code} with output ${JSON.stringify(out.slice(0, 500))}`));
      }
    });
  });
}

async function main(): Promise<void> {
  const role = arg('role', 'main');
  if (role === 'writer') return void process.stdout.write(JSON.stringify(writer(arg('dir', ''), Number(arg('id', '0')), Number(arg('rounds', '0')))));
  if (role === 'reader') return void process.stdout.write(JSON.stringify(reader(arg('dir', ''), arg('stop', ''))));

  const rounds = Number(arg('rounds', '1000'));
  const writers = Number(arg('writers', '3'));
  const own = !process.argv.includes('--dir');
  const root = own ? mkdtempSync(join(tmpdir(), 'libvq-ck-stress-')) : arg('dir', '');
  const dir = join(root, 'ck');
  const stop = join(root, 'stop');
  const t0 = performance.now();
  const readerRun = child(['--role', 'reader', '--dir', dir, '--stop', stop]);
  const writerRuns = Array.from({ length: writers }, (_, id) => child(['--role', 'writer', '--dir', dir, '--id', String(id + 1), '--rounds', String(rounds)]));
  const reports = await Promise.all(writerRuns).finally(() => writeFileSync(stop, ''));
  reports.push(await readerRun);
  // what is left next to the checkpoint: its link and the versions directory holding the current version only
  const versions = versionsDirOf(dir);
  let current = '';
  try {
    current = basename(readlinkSync(dir));
  } catch {
    /* not a link: a plain directory (or none) */
  }
  const stray = [
    ...readdirSync(root).filter((f) => f !== basename(dir) && f !== basename(versions) && f !== 'stop'),
    ...(existsSync(versions) ? readdirSync(versions).filter((f) => f !== current && f !== `${current}.done`) : []),
  ];
  const saves = reports.filter((r) => r.role !== 'reader');
  const load = reports.find((r) => r.role === 'reader')!;
  const summary = {
    rounds, writers, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    saves: saves.reduce((a, r) => a + r.ops, 0), saveFailures: saves.reduce((a, r) => a + r.failures, 0),
    loads: load.ops, loadFailures: load.failures, stray,
    errors: reports.flatMap((r) => r.errors.map((e) => `${r.role}: ${e}`)),
  };
  if (own) rmSync(root, { recursive: true, force: true });
  if (process.argv.includes('--json')) console.log(JSON.stringify(summary));
  else {
    console.log(`${summary.writers} writers x ${rounds} saves, 1 reader, ${summary.seconds} s`);
    console.log(`save failures: ${summary.saveFailures} of ${summary.saves}`);
    console.log(`load failures: ${summary.loadFailures} of ${summary.loads}`);
    console.log(`stray entries left: ${stray.length}${stray.length ? ` (${stray.slice(0, 5).join(', ')})` : ''}`);
    for (const e of summary.errors.slice(0, 10)) console.log(`  ${e}`);
  }
  process.exitCode = summary.saveFailures + summary.loadFailures + stray.length > 0 ? 1 : 0;
}

await main();
