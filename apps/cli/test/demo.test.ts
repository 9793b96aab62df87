import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readVectors } from '@libvq/dataset';
import { LearnableIndex } from '@libvq/train';
import { registerDemo } from '../src/commands/demo.js';
import { runLibvq } from './cli-runner.js';
import { writeTinyCollection } from './tiny-collection.js';

const root = mkdtempSync(join(tmpdir(), 'libvq-cli-demo-'));
const data = join(root, 'data');
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = 0;
});
beforeAll(() => writeTinyCollection(data, { docs: 300, queries: 60 }));

function tsv(file: string): string[][] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l).map((l) => l.split('\t'));
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The dense row's oracle: float64 brute-force inner products, then MRR@10 / R@100 / nDCG@10 (linear gain, trec_eval) by their definitions. */
async function denseOracle(out: string) {
  const pre = join(out, 'work', 'preprocessed');
  const docs = await readVectors(join(pre, 'docs.embeddings.arrow'));
  const qs = await readVectors(join(pre, 'dev-queries.embeddings.arrow'));
  const docIds = docs.ids as readonly string[];
  const rels = new Map<string, Map<string, number>>();
  for (const [q, d, g] of tsv(join(data, 'dev-rels.tsv'))) {
    if (!rels.has(q)) rels.set(q, new Map());
    rels.get(q)!.set(d, Number(g));
  }
  const { rows: n, dim } = docs.matrix;
  let mrr = 0, rec = 0, ndcg = 0, judged = 0;
  (qs.ids as readonly string[]).forEach((qid, qi) => {
    const r = rels.get(qid);
    if (!r) return;
    judged++;
    const scores = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let j = 0; j < dim; j++) s += qs.matrix.data[qi * dim + j] * docs.matrix.data[i * dim + j];
      return { id: docIds[i], s };
    }).sort((a, b) => b.s - a.s);
    const first = scores.slice(0, 10).findIndex((x) => r.has(x.id));
    mrr += first >= 0 ? 1 / (first + 1) : 0;
    rec += scores.slice(0, 100).filter((x) => r.has(x.id)).length / r.size;
    const dcg = scores.slice(0, 10).reduce((a, x, i) => a + (r.get(x.id) ?? 0) / Math.log2(i + 2), 0);
    const ideal = [...r.values()].sort((a, b) => b - a).slice(0, 10).reduce((a, g, i) => a + g / Math.log2(i + 2), 0);
    ndcg += dcg / ideal;
  });
  return { mrr10: mrr / judged, recall100: rec / judged, ndcg10: ndcg / judged };
}

describe('libvq demo', () => {
  it('runs unchanged on another LibVQ-layout collection: results.json rows, report.md, chart.svg; dense row matches brute force', async () => {
    const out = join(root, 'out');
    const r = await runLibvq([registerDemo], ['demo', '--data', data, '--out', out, '--bytes', '5,10', '--epochs', '2']);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const { rows } = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { rows: Array<Record<string, number | string>> };
    expect(rows.map((x) => [x.bytes, x.method])).toEqual([
      [400, 'dense (exact)'],
      [5, 'PQ5x8'], [5, 'OPQ5,PQ5x8'], [5, 'distill index-only (virtual labels, keep)'], [5, 'distill index + query encoder (virtual labels)'],
      [10, 'PQ10x8'], [10, 'OPQ10,PQ10x8'], [10, 'distill index-only (virtual labels, keep)'], [10, 'distill index + query encoder (virtual labels)'],
    ]);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['bytes', 'method', 'mrr10', 'ndcg10', 'recall100']);
      for (const k of ['mrr10', 'recall100', 'ndcg10']) expect(row[k]).toBeGreaterThanOrEqual(0), expect(row[k]).toBeLessThanOrEqual(1);
    }
    const oracle = await denseOracle(out);
    expect(rows[0].mrr10).toBeCloseTo(oracle.mrr10, 6);
    expect(rows[0].recall100).toBeCloseTo(oracle.recall100, 6);
    expect(rows[0].ndcg10).toBeCloseTo(oracle.ndcg10, 6);
    // The topics make the dense ranking good; compressed rows are scored on the same queries.
    expect(oracle.mrr10).toBeGreaterThan(0.5);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    for (const row of rows) expect(report).toContain(`| ${row.bytes} | ${row.method} | ${(row.mrr10 as number).toFixed(3)} |`);
    expect(r.out).toContain('| 400 | dense (exact) |');
    const svg = readFileSync(join(out, 'chart.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('MRR@10');
    expect(svg).toContain('OPQ');
    // The trained rows' loss curves: one line per trained row, referenced from report.md.
    const curves = readFileSync(join(out, 'training.svg'), 'utf8');
    expect(curves.startsWith('<svg')).toBe(true);
    expect(curves).toContain('5 B · distill index-only (virtual labels, keep)');
    expect(curves).not.toContain('PQ5x8');
    expect(report).toContain('![training curves](training.svg)');
    expect(allFiles(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('Ctrl-C (SIGINT) stops it with one error line and no result or temporary file', async () => {
    const out = join(root, 'out-abort');
    const fromFactory = LearnableIndex.fromFactory.bind(LearnableIndex);
    // Interrupt when the first index is being built (step 3), after preprocessing and encoding wrote files.
    vi.spyOn(LearnableIndex, 'fromFactory').mockImplementation((o) => {
      process.emit('SIGINT');
      return fromFactory(o);
    });
    const r = await runLibvq([registerDemo], ['demo', '--data', data, '--out', out, '--bytes', '5', '--epochs', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/ABORTED/);
    expect(existsSync(join(out, 'results.json'))).toBe(false);
    expect(existsSync(join(out, 'report.md'))).toBe(false);
    const files = allFiles(out);
    expect(files.some((f) => f.endsWith('docs.embeddings.arrow'))).toBe(true);
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('refuses a directory without dev queries in one line', async () => {
    const r = await runLibvq([registerDemo], ['demo', '--data', join(root, 'nowhere'), '--out', join(root, 'out-x')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/collection\.tsv/);
  });
});
