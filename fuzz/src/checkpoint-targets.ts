import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LearnableIndex, loadTrainCheckpoint } from '@libvq/train';
import type { FuzzTarget, Shape } from './targets.js';

// Training checkpoints: a directory of manifest.json (sizes and sha256 of every file), index.faiss and two
// safetensors files. Mutating a file alone only exercises the checksum; so, as a tool that rewrites a file would,
// the case recomputes the file's checksum in the manifest, and the loader's own validation (headers, dtypes,
// shapes, agreement with index.faiss, finite values) must catch the rest. The manifest itself is mutated as is.

const FILES = ['manifest.json', 'index.faiss', 'tensors.safetensors', 'train-state.safetensors'];
let seedFiles: Record<string, Uint8Array> | undefined;

function seedCheckpoint(dir: string): Record<string, Uint8Array> {
  if (seedFiles) return seedFiles;
  const d = 8;
  let s = 21;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const rand = (n: number) => ({ rows: n, dim: d, data: Float32Array.from({ length: n * d }, () => u() * 2 - 1) });
  const docs = rand(300);
  const queries = rand(30);
  const li = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'ivf_opq', ivfCentersNum: 4, subvectorNum: 4, subvectorBits: 4, distMode: 'ip', seed: 2 });
  const ck = join(dir, 'seed-checkpoint');
  li.fitSync({
    queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 1, batchSize: 16, perQueryNegNum: 2, temperature: 0.1,
    lr: { codebooks: 1e-3, centroids: 1e-3, rotation: 1e-3 }, centroidOptimizer: 'adamw', seed: 2, checkpointDir: ck,
  });
  const version = realpathSync(ck);
  seedFiles = Object.fromEntries(readdirSync(version).map((f) => [f, new Uint8Array(readFileSync(join(version, f)))]));
  return seedFiles;
}

/** A checkpoint directory holding `bytes` as `file` (its checksum recomputed in the manifest unless it is the manifest). */
function caseCheckpoint(path: string, file: string, bytes: Uint8Array): string {
  const dir = `${path}.checkpoint`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const files = { ...seedFiles!, [file]: bytes };
  if (file !== 'manifest.json') {
    const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
    manifest.files[file] = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
    files['manifest.json'] = new TextEncoder().encode(JSON.stringify(manifest, null, 2));
  }
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
}

function checkpointTarget(file: string): FuzzTarget {
  return {
    name: `checkpoint ${file}`,
    format: 'checkpoint',
    file: `ck-${file}`,
    text: file.endsWith('.json'),
    async seed(dir) {
      const files = seedCheckpoint(dir);
      const path = join(dir, `ck-${file}`);
      writeFileSync(path, files[file]);
      return path;
    },
    async run(path): Promise<Shape> {
      const dir = caseCheckpoint(path, file, new Uint8Array(readFileSync(path)));
      try {
        const { index, state } = loadTrainCheckpoint(dir);
        const q = { rows: 2, dim: 8, data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)) };
        const r = index.searchSync(q, { k: 3 });
        for (let i = 0; i < r.distances.length; i++) {
          if (Number(r.labels[i]) >= 0 && !Number.isFinite(r.distances[i])) throw new Error(`search of the loaded checkpoint returned ${r.distances[i]}`);
        }
        return { method: index.method, ntotal: index.ntotal, epoch: JSON.stringify(state).length > 0 ? 1 : 0 };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    judge: (shape, original) => (shape.method === original.method && shape.ntotal === original.ntotal ? undefined : `${original.method}/${original.ntotal} -> ${shape.method}/${shape.ntotal}`),
  };
}

export const CHECKPOINT_TARGETS: FuzzTarget[] = FILES.map(checkpointTarget);
