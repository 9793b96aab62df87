import { readFile } from 'node:fs/promises';
import { type Index, LibvqError, describeIndex, deserializeIndex, indexFactory, serializeIndex } from '@libvq/index-core';
import {
  loadRels, loadTextFile, npyHeaderF32, readTokenFile, tokensBatch, tokensSchema, writeArrowFile, writeFvecs, writeMemmap, writeNpy,
} from '@libvq/dataset/formats';
import { openVectors, readVectors, writeEmbeddings } from '@libvq/dataset';
import { RecordBatchStreamWriter, tableFromIPC } from 'apache-arrow';
import { CHECKPOINT_TARGETS } from './checkpoint-targets.js';
import { rng32 } from './mutate.js';

/** What a read produced, reduced to the facts a corruption must not change silently (rows, dimension, structure). */
export type Shape = Record<string, string | number>;

export interface FuzzTarget {
  /** Unique name (a seed file). */
  name: string;
  /** The format it belongs to, for the tallies. */
  format: string;
  /** File name the mutated bytes are written under (readers choose the format by extension). */
  file: string;
  /** Text format: mutations also insert line breaks, tabs and quotes. */
  text?: boolean;
  /** Writes the valid seed file with the project's own writers; returns its path. */
  seed(dir: string): Promise<string>;
  /** Reads the file the way the CLI does and uses it; returns its shape. Must throw a LibvqError on bad input. */
  run(path: string): Promise<Shape>;
  /**
   * Whether a successful read of `mutated` is correct: undefined if so, else why not (a silent change of shape).
   * `original` is the seed's shape.
   */
  judge(shape: Shape, original: Shape, mutated: Uint8Array): string | undefined;
}

const sameShape = (keys: string[]) => (shape: Shape, original: Shape): string | undefined => {
  const diff = keys.filter((k) => shape[k] !== original[k]);
  return diff.length === 0 ? undefined : diff.map((k) => `${k} ${original[k]} -> ${shape[k]}`).join(', ');
};

function vectors(rows: number, dim: number, seed: number): { rows: number; dim: number; data: Float32Array } {
  const r = rng32(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = r() * 2 - 1;
  return { rows, dim, data };
}

// ---- faiss index files --------------------------------------------------------------------------------------

/** Reads a faiss file and searches it: the results must be well formed (labels in range, no NaN) or the read must fail. */
async function runIndex(path: string): Promise<Shape> {
  const index: Index = deserializeIndex(new Uint8Array(await readFile(path)));
  const shape: Shape = { type: describeIndex(index), d: index.d, ntotal: index.ntotal };
  if (index.isTrained && index.ntotal > 0 && index.d <= 4096) {
    const q = vectors(3, index.d, 99);
    const k = Math.min(5, index.ntotal + 2);
    const { distances, labels } = index.searchSync(q, { k });
    // IVF lists store the caller's ids (any id the API accepts); the other types number their vectors 0..ntotal-1.
    const maxLabel = shape.type.toString().includes('IVF') ? Number.MAX_SAFE_INTEGER : index.ntotal - 1;
    for (let i = 0; i < labels.length; i++) {
      const l = Number(labels[i]);
      if (l < -1 || l > maxLabel) throw new Error(`search returned label ${l} for ${index.ntotal} vectors`);
      if (l >= 0 && Number.isNaN(distances[i])) throw new Error(`search returned a NaN distance for label ${l}`);
    }
  }
  return shape;
}

function faissTarget(name: string, factory: string, metric: 'l2' | 'ip', rows: number, dim: number): FuzzTarget {
  return {
    name: `faiss ${factory} ${metric}`,
    format: 'faiss',
    file: `${name}.faiss`,
    async seed(dir) {
      const index = indexFactory(dim, factory, metric);
      const x = vectors(rows, dim, 7);
      if (!index.isTrained) index.trainSync(x, { seed: 3 });
      index.addSync(x);
      const path = `${dir}/${name}.faiss`;
      await import('node:fs/promises').then((fs) => fs.writeFile(path, serializeIndex(index)));
      return path;
    },
    run: runIndex,
    judge: sameShape(['type', 'd', 'ntotal']),
  };
}

// ---- vector files ---------------------------------------------------------------------------------------------

/** Reads the whole file and streams it in batches of 7 rows: both paths must agree. */
async function runVectors(path: string, dim?: number): Promise<Shape> {
  const whole = await readVectors(path, { dim });
  const src = await openVectors(path, { dim });
  try {
    let rows = 0;
    for await (const b of src.batches(7)) {
      const m = b.matrix;
      for (let i = 0; i < m.data.length; i++) {
        if (m.data[i] !== whole.matrix.data[(b.start * m.dim) + i]) throw new Error(`streamed row ${b.start + Math.floor(i / m.dim)} differs from the whole-file read`);
      }
      rows += m.rows;
    }
    if (rows !== whole.matrix.rows || src.dim !== whole.matrix.dim) throw new Error(`streamed ${rows}×${src.dim}, whole-file read ${whole.matrix.rows}×${whole.matrix.dim}`);
  } finally {
    await src.close();
  }
  return { rows: whole.matrix.rows, dim: whole.matrix.dim };
}

const VEC = vectors(40, 12, 11);

function vectorTarget(format: string, file: string, write: (path: string) => Promise<void>, judge: FuzzTarget['judge'], dim?: number): FuzzTarget {
  return {
    name: file,
    format,
    file,
    async seed(dir) {
      await write(`${dir}/${file}`);
      return `${dir}/${file}`;
    },
    run: (path) => runVectors(path, dim),
    judge,
  };
}

/** Headerless row formats: the rows are whatever whole rows the file holds, so only the bytes accounted for are checked. */
const rowsFromSize = (rowBytes: (shape: Shape) => number) => (shape: Shape, _o: Shape, mutated: Uint8Array): string | undefined =>
  Number(shape.rows) * rowBytes(shape) === mutated.length ? undefined : `${shape.rows} rows of dim ${shape.dim} read from ${mutated.length} bytes`;

async function writeArrowStream(path: string): Promise<void> {
  // An embeddings file re-written in the stream format (what LanceDB and pyarrow's new_stream produce).
  const tmp = `${path}.file`;
  await writeEmbeddings(tmp, VEC, { batchRows: 16, ids: BigInt64Array.from({ length: VEC.rows }, (_, i) => BigInt(i * 3)) });
  const table = tableFromIPC(await readFile(tmp));
  const bytes = RecordBatchStreamWriter.writeAll(table).toUint8Array(true);
  await import('node:fs/promises').then(async (fs) => {
    await fs.writeFile(path, bytes);
    await fs.rm(tmp);
  });
}

// ---- token files -------------------------------------------------------------------------------------------------

async function writeTokens(path: string): Promise<void> {
  const r = rng32(5);
  const rows = 30;
  const offsets = new Int32Array(rows + 1);
  const ids: number[] = [];
  for (let i = 0; i < rows; i++) {
    const n = 1 + Math.floor(r() * 12);
    for (let j = 0; j < n; j++) ids.push(Math.floor(r() * 1000));
    offsets[i + 1] = ids.length;
  }
  const schema = tokensSchema({ tokenizer: 'fuzz', maxLength: 16 });
  await writeArrowFile(path, schema, [tokensBatch(schema, { rows, offsets, values: Int32Array.from(ids) })]);
}

// ---- text files --------------------------------------------------------------------------------------------------

const COLLECTION = Array.from({ length: 30 }, (_, i) => `d${i}\ttitle ${i}\tsome text of document ${i}, with "quotes" and more words`).join('\n') + '\n';
const QRELS = Array.from({ length: 40 }, (_, i) => `q${i % 7}\t0\td${(i * 5) % 30}\t${i % 3}`).join('\n') + '\n';

/** Lines a text file holds (non-empty after removing a trailing CR), counted independently of the project's reader. */
function countLines(bytes: Uint8Array): number {
  return new TextDecoder().decode(bytes).split('\n').filter((l) => l.replace(/\r$/, '').length > 0).length;
}

const rowsAreLines = (shape: Shape, _o: Shape, mutated: Uint8Array): string | undefined =>
  Number(shape.rows) + Number(shape.skipped ?? 0) === countLines(mutated) ? undefined : `${shape.rows} rows read from ${countLines(mutated)} lines`;

function textTarget(file: string, content: string, run: (path: string) => Promise<Shape>): FuzzTarget {
  return {
    name: file,
    format: 'tsv',
    file,
    text: true,
    async seed(dir) {
      await import('node:fs/promises').then((fs) => fs.writeFile(`${dir}/${file}`, content));
      return `${dir}/${file}`;
    },
    run,
    judge: rowsAreLines,
  };
}

export const TARGETS: FuzzTarget[] = [
  ...CHECKPOINT_TARGETS,
  faissTarget('flat', 'Flat', 'ip', 30, 8),
  faissTarget('pq', 'PQ4x6', 'l2', 80, 8),
  faissTarget('ivfflat', 'IVF4,Flat', 'l2', 60, 8),
  faissTarget('ivfpq', 'IVF8,PQ4x8', 'ip', 300, 8),
  faissTarget('opq', 'OPQ4,IVF4,PQ4x5', 'l2', 300, 8),
  faissTarget('l2norm', 'L2norm,IVF4,PQ4x5', 'ip', 300, 8), // metric 'cosine': the VNrm transform's reader
  vectorTarget('npy', 'v.npy', (p) => writeNpy(p, VEC), sameShape(['rows', 'dim'])),
  vectorTarget('npy', 'v64.npy', async (p) => {
    // float64 .npy as numpy writes it by default.
    const hdr = new TextDecoder('latin1').decode(npyHeaderF32(VEC.rows, VEC.dim)).replace("'<f4'", "'<f8'");
    const body = Float64Array.from(VEC.data);
    const out = new Uint8Array(hdr.length + body.byteLength);
    out.set(Buffer.from(hdr, 'latin1'));
    out.set(new Uint8Array(body.buffer), hdr.length);
    await import('node:fs/promises').then((fs) => fs.writeFile(p, out));
  }, sameShape(['rows', 'dim'])),
  vectorTarget('fvecs', 'v.fvecs', (p) => writeFvecs(p, VEC), rowsFromSize((s) => 4 * (Number(s.dim) + 1))),
  vectorTarget('memmap', 'v.memmap', (p) => writeMemmap(p, VEC), rowsFromSize((s) => 4 * Number(s.dim)), VEC.dim),
  vectorTarget('arrow-file', 'v.arrow', (p) => writeEmbeddings(p, VEC, { batchRows: 16, ids: Array.from({ length: VEC.rows }, (_, i) => `doc-${i}`) }), sameShape(['rows', 'dim'])),
  vectorTarget('arrow-stream', 'stream.ipc', writeArrowStream, sameShape(['rows', 'dim'])),
  {
    name: 'tokens.arrow',
    format: 'arrow-file',
    file: 'tokens.arrow',
    async seed(dir) {
      await writeTokens(`${dir}/tokens.arrow`);
      return `${dir}/tokens.arrow`;
    },
    async run(path) {
      const t = await readTokenFile(path);
      return { rows: t.rows, tokens: t.values.length };
    },
    judge: sameShape(['rows', 'tokens']),
  },
  textTarget('collection.tsv', COLLECTION, async (path) => {
    const f = await loadTextFile(path, { skipBadRows: true });
    return { rows: f.fields.length, skipped: f.skipped };
  }),
  textTarget('qrels.tsv', QRELS, async (path) => {
    const f = await loadRels(path, { skipBadRows: true });
    return { rows: f.count, skipped: f.skipped };
  }),
];

/** A LibvqError (typed, with its code) is the one acceptable way to refuse an input. */
export function isTypedError(err: unknown): err is LibvqError {
  return err instanceof LibvqError && typeof err.code === 'string';
}
