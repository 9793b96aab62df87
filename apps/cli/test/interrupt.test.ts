import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createRng, gaussian } from '@libvq/index-core/util';
import { readIndexSync } from '@libvq/index-core';
import { writeVectors } from '@libvq/dataset';
import { HfTokenizer } from '@libvq/encoder';
import { wordLevelTokenizerJson } from '@libvq/encoder/onnx';
import { registerPreprocess } from '../src/commands/preprocess.js';
import { runLibvq } from './cli-runner.js';

/**
 * Ctrl-C leaves no half-written file and no temporary: during computation the process ends at once (nothing
 * is open); during an asynchronous write the writer stops and removes its temporary; during a synchronous
 * write the file is finished and renamed first. Real signals go to child processes; the in-process case
 * emits SIGINT at a chosen point of the work, as a terminal's Ctrl-C would deliver it to the listener.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'apps/cli');
const root = mkdtempSync(join(tmpdir(), 'libvq-cli-sigint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = 0;
});

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs node (with tsx, sources resolved) in apps/cli; `onStderr` may act on what it has printed so far. */
function runNode(args: string[], onStderr?: (text: string, kill: () => void) => void): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', ...args], { cwd: CLI, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      onStderr?.(stderr, () => child.kill('SIGINT'));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('Ctrl-C', () => {
  it('during libvq build\'s training: the process stops at once, no index and no temporary file', async () => {
    const dir = join(root, 'build');
    mkdirSync(dir);
    const rng = createRng(5);
    const x = { rows: 20_000, dim: 64, data: new Float32Array(20_000 * 64) };
    for (let i = 0; i < x.data.length; i++) x.data[i] = gaussian(rng);
    await writeVectors(join(dir, 'x.npy'), x);
    // The OPQ rotation of this set trains for over a minute; its progress line (drawn at the latest 5 s into
    // the run) says training is under way. Ctrl-C then.
    let sent = false;
    const r = await runNode(['src/main.ts', 'build', join(dir, 'x.npy'), '--factory', 'OPQ16,IVF256,PQ16x8', '-o', join(dir, 'x.faiss')], (err, kill) => {
      if (!sent && err.includes('training OPQ16 rotation [')) {
        sent = true;
        kill();
      }
    });
    expect(sent).toBe(true);
    expect(r.code === null ? r.signal : r.code).not.toBe(0);
    expect(r.stdout).not.toContain('ntotal');
    expect(readdirSync(dir)).toEqual(['x.npy']);
  }, 120_000);

  it('during a synchronous write (writeIndexSync): the file is finished, then the command fails with ABORTED', async () => {
    const out = join(root, 'sync', 'index.faiss');
    mkdirSync(join(root, 'sync'));
    const script = `
      import { interruptible } from './src/interrupt.ts';
      import { indexFactory, writeIndexSync } from '@libvq/index-core';
      const d = 32, n = 50000;
      const data = new Float32Array(n * d);
      for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761 % 1000) / 1000;
      const index = indexFactory(d, 'Flat', 'l2');
      index.addSync({ rows: n, dim: d, data });
      try {
        await interruptible('writing the index', () => {
          process.kill(process.pid, 'SIGINT'); // arrives while the synchronous write below runs
          writeIndexSync(index, ${JSON.stringify(out)});
        });
        console.log('finished without noticing the interrupt');
      } catch (e) {
        console.log('caught', e.code, e.message);
        process.exitCode = 2;
      }
      writeIndexSync(index, ${JSON.stringify(`${out}.reference`)});
    `;
    const r = await runNode(['--input-type=module', '-e', script]);
    expect(r.stdout).toContain('caught ABORTED interrupted by Ctrl-C while writing the index');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('libvq: interrupted (Ctrl-C) while writing the index');
    // Complete: byte for byte the index written again without interruption, and readable.
    expect(readFileSync(out).equals(readFileSync(`${out}.reference`))).toBe(true);
    expect(readIndexSync(out).ntotal).toBe(50000);
    expect(readdirSync(join(root, 'sync')).sort()).toEqual(['index.faiss', 'index.faiss.reference']);
  }, 120_000);

  it('during libvq preprocess: stops at the next batch, the token file being written and its temporary are gone', async () => {
    const words = ['wing', 'flow', 'heat', 'plate'];
    const model = join(root, 'model');
    mkdirSync(model);
    writeFileSync(join(model, 'tokenizer.json'), JSON.stringify(wordLevelTokenizerJson({ words })));
    const data = join(root, 'raw');
    mkdirSync(data);
    writeFileSync(join(data, 'collection.tsv'), Array.from({ length: 60 }, (_, i) => `d${i}\t${words[i % 4]} ${words[(i + 1) % 4]}\n`).join(''));
    writeFileSync(join(data, 'dev-queries.tsv'), 'q1\twing flow\n');
    const out = join(root, 'pre');
    const encode = HfTokenizer.prototype.encode;
    let calls = 0;
    // Ctrl-C in the third batch of documents (10 rows per batch).
    vi.spyOn(HfTokenizer.prototype, 'encode').mockImplementation(function (this: HfTokenizer, ...a: Parameters<HfTokenizer['encode']>) {
      if (++calls === 25) process.emit('SIGINT');
      return encode.apply(this, a);
    });
    const r = await runLibvq([registerPreprocess], ['preprocess', '--data', data, '--out', out, '--tokenizer', model, '--batch-rows', '10']);
    expect(calls).toBeGreaterThanOrEqual(25);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\[ABORTED\]: interrupted by Ctrl-C while preprocessing/);
    expect(existsSync(join(out, 'docs.tokens.arrow'))).toBe(false);
    expect(allFiles(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });
});
