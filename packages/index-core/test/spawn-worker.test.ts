import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Workers start under any way of running node. Oracle: the worker's own message, received by a parent run as
 * `node --input-type=module -e` (where a CommonJS bootstrap died on its first `require`, and a pool waiting for the
 * thread timed out after 120 s), and by one run with V8 and process-wide options, which Node refuses in a worker's
 * explicit execArgv (ERR_WORKER_INVALID_EXEC_ARGV: `node --max-old-space-size=... build.js` failed at its first
 * thread).
 */
describe('spawnWorker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'libvq-spawn-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [['--input-type=module']],
    [['--input-type=module', '--max-old-space-size=300', '--expose-gc', '--stack-size=2000', '--max-semi-space-size=4']],
  ])('starts a worker from a parent run as `node %s -e`', (options) => {
    const entry = join(dir, 'entry.mjs');
    writeFileSync(entry, "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage('started');\n");
    const spawnModule = pathToFileURL(join(import.meta.dirname, '../src/parallel/spawn-worker.ts')).href;
    const parent = [
      `import { spawnWorker } from ${JSON.stringify(spawnModule)};`,
      `const w = spawnWorker(new URL(${JSON.stringify(pathToFileURL(entry).href)}), { what: 'test workers' });`,
      "w.on('message', (m) => { console.log(m); w.terminate(); });",
      "w.on('error', (e) => { console.log('error: ' + e.message); process.exitCode = 1; });",
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', ...options, '-e', parent], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe('started');
  });
});
