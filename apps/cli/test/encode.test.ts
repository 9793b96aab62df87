import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessData, readEmbeddings } from '@libvq/dataset';
import { OnnxEncoder, encodeTexts, loadTokenizer } from '@libvq/encoder';
import { embeddingsPath } from '@libvq/encoder/model';
import { wordLevelTokenizerJson, GraphBuilder, writeOnnxModel } from '@libvq/encoder/onnx';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'apps/cli/src/main.ts');

async function libvq(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const tmp: string[] = [];
let raw: string;
let pre: string;
let modelDir: string;

/** A model directory with a word-level tokenizer and a graph whose token states are [id, 1]: mean pooling is checkable by hand. */
async function makeModel(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'libvq-cli-model-'));
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(wordLevelTokenizerJson({ words: ['wing', 'flow', 'mach', 'heat'] })));
  await writeFile(join(dir, 'config.json'), JSON.stringify({ hidden_size: 2, max_position_embeddings: 32 }));
  const b = new GraphBuilder();
  b.input('input_ids', 'int64', ['batch', 'seq']);
  b.input('attention_mask', 'int64', ['batch', 'seq']);
  const ids = b.op('Unsqueeze', [b.op('Cast', ['input_ids'], { to: { i: 1 } }), b.int64s([-1])]);
  const ones = b.op('Add', [b.op('Mul', [ids, b.scalarFloat(0)]), b.scalarFloat(1)]);
  b.output(b.op('Concat', [ids, ones], { axis: { i: -1 } }), 'last_hidden_state', 'float32', ['batch', 'seq', 2]);
  await writeOnnxModel(join(dir, 'model.onnx'), b.build('cli_model'));
  return dir;
}

beforeAll(async () => {
  raw = await mkdtemp(join(tmpdir(), 'libvq-cli-raw-'));
  pre = await mkdtemp(join(tmpdir(), 'libvq-cli-pre-'));
  modelDir = await makeModel();
  tmp.push(raw, pre, modelDir);
  await writeFile(join(raw, 'collection.tsv'), 'a\tWing flow\tmach\nb\theat\t\nc\tunknown words only\tx\n');
  await writeFile(join(raw, 'dev-queries.tsv'), 'q1\tmach heat\n');
  await preprocessData({ dataDir: raw, outputDir: pre, tokenizer: await loadTokenizer(modelDir), maxDocLength: 8, maxQueryLength: 8 });
});
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

describe('libvq encode', () => {
  it('encodes several prefixes with a model directory and reports each', async () => {
    const out = join(pre, 'out');
    const r = await libvq('encode', '--data', pre, '--prefix', 'docs,dev-queries', '--model', modelDir, '--out', out, '--batch-size', '2', '--pooling', 'mean');
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^docs: 3 x 2 -> .*docs\.embeddings\.arrow \(.* rows\/s\)$/m);
    expect(r.stdout).toMatch(/^dev-queries: 1 x 2 -> .*dev-queries\.embeddings\.arrow/m);
    const docs = await readEmbeddings(embeddingsPath(out, 'docs'));
    // Token ids: [PAD]=0 [UNK]=1 wing=2 flow=3 mach=4 heat=5. Mean of [id, 1] over real tokens:
    // a = wing flow mach -> [3, 1]; b = heat -> [5, 1]; c = four unknown words -> [1, 1].
    expect(Array.from(docs.matrix.data)).toEqual([3, 1, 5, 1, 1, 1]);
    expect(Array.from(docs.ids as readonly string[])).toEqual(['a', 'b', 'c']);
    expect(docs.metadata).toMatchObject({ pooling: 'mean', normalized: false });
    // Same as the library's own path on the raw query text.
    const enc = await OnnxEncoder.fromPretrained(modelDir, { pooling: 'mean' });
    const direct = await encodeTexts({ encoder: enc, tokenizer: enc.tokenizer!, texts: ['mach heat'] });
    expect(Array.from((await readEmbeddings(embeddingsPath(out, 'dev-queries'))).matrix.data)).toEqual(Array.from(direct.data));
    await enc.dispose();
  });

  it('runs the built-in glove-100 model', async () => {
    const out = join(pre, 'glove');
    // The model's tokenizer differs from the one these tokens came from; ids are still valid rows of the
    // glove vocabulary, which is all this test needs (the Cranfield test checks glove-100 end to end).
    const r = await libvq('encode', '--data', pre, '--prefix', 'docs', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^docs: 3 x 100 -> /m);
    const docs = await readEmbeddings(embeddingsPath(out, 'docs'));
    expect(docs.metadata).toEqual({ encoder: 'glove-100', pooling: 'none', normalized: true });
  });

  it('fails with one clear line and a non-zero exit code', async () => {
    // Five processes at once: each start pays for tsx, not for the work.
    const [missing, noPrefix, badBatch, both, pooling] = await Promise.all([
      libvq('encode', '--data', pre, '--prefix', 'docs', '--model', join(raw, 'no-model'), '--out', pre),
      libvq('encode', '--data', pre, '--prefix', 'test-queries', '--model', modelDir, '--out', pre),
      libvq('encode', '--data', pre, '--prefix', 'docs', '--out', pre, '--batch-size', '0'),
      libvq('encode', '--data', pre, '--prefix', 'docs', '--model', modelDir, '--out', pre, '--query', '--doc'),
      libvq('encode', '--data', pre, '--prefix', 'docs', '--model', modelDir, '--out', pre, '--pooling', 'max'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^libvq: error \[IO\]: --model: .*no-model is neither "glove-100" nor an existing model directory/m);
    expect(noPrefix.code).toBe(2);
    expect(noPrefix.stderr).toMatch(/test-queries\.ids\.arrow/);
    expect(badBatch.code).not.toBe(0);
    expect(badBatch.stderr).toMatch(/--batch-size must be a positive integer, got "0"/);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--query and --doc: give at most one/);
    expect(pooling.stderr).toMatch(/--pooling: expected 'cls', 'mean' or 'none', got "max"/);
  });
});
