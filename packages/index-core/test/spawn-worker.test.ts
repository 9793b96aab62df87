import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { workerExecArgv } from '../src/parallel/spawn-worker.js';

/**
 * Workers start under any way of running node. Oracle: the worker's own message, received by a parent run as
 * `node --input-type=module -e` (where the CommonJS bootstrap, given the parent's options as they were, died on its
 * first `require`, and a pool waiting for the thread timed out after 120 s).
 */
describe('spawnWorker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'libvq-spawn-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('drops the options that make eval’d code an ES module, in both spellings, and keeps the rest', () => {
    expect(workerExecArgv(['--input-type=module', '-e', 'x'])).toEqual(['-e', 'x']);
    expect(workerExecArgv(['--input-type', 'module', '--max-old-space-size=100'])).toEqual(['--max-old-space-size=100']);
    expect(workerExecArgv(['--experimental-default-type=module', '--conditions=x'])).toEqual(['--conditions=x']);
    expect(workerExecArgv(['--experimental-default-type', 'module'])).toEqual([]);
  });

  it('starts a worker from a parent run as `node --input-type=module -e`', () => {
    const entry = join(dir, 'entry.mjs');
    writeFileSync(entry, "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage('started');\n");
    const spawnModule = pathToFileURL(join(import.meta.dirname, '../src/parallel/spawn-worker.ts')).href;
    const parent = [
      `import { spawnWorker } from ${JSON.stringify(spawnModule)};`,
      `const w = spawnWorker(new URL(${JSON.stringify(pathToFileURL(entry).href)}), { what: 'test workers' });`,
      "w.on('message', (m) => { console.log(m); w.terminate(); });",
      "w.on('error', (e) => { console.log('error: ' + e.message); process.exitCode = 1; });",
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', parent], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe('started');
  });
});
