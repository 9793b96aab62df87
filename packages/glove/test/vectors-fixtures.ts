import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory for one test. */
export function tempDir(prefix = 'libvq-glove-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A hand-written file in wink's layout. Vector values are kept as written (their text forms are what
 * the scanner must read: signs, exponents, long mantissas, -0); the stored norm is computed here.
 * Whitespace, key order (vectors before words, keys not in row order) and extra keys differ from the
 * real file on purpose.
 */
export const HAND_WORDS = ['the', '"', '\\', 'café', 'a/b', '😀x', 'tab\there', 'naïve'];
const HAND_KEYS_AS_WRITTEN = ['"the"', '"\\""', '"\\\\"', '"caf\\u00e9"', '"a\\/b"', '"\\ud83d\\ude00x"', '"tab\\there"', '"naïve"'];
const HAND_VALUES = [
  ['0.1', '-0.25', '3'],
  ['-1.5e-3', '2E+2', '-0.0'],
  ['0', '1e-30', '-7.125e1'],
  ['0.12345678901234567890', '123456789012345678', '-0.5'],
  ['1E2', '-2e-2', '0.000001'],
  ['4.0', '5.5', '-6.25'],
  ['-0', '0', '1'],
  ['3.4e38', '-1.1754943508222875e-38', '0.33333333333333333333333'],
];
/** Row of each word (its wordIndex) is its index in HAND_WORDS; entries are written in this order. */
const VECTOR_ORDER = [3, 0, 7, 1, 5, 2, 6, 4];

export function handWrittenJson(): string {
  const entries = VECTOR_ORDER.map((i) => {
    const vals = HAND_VALUES[i];
    const norm = Math.sqrt(vals.reduce((s, v) => s + Math.fround(Number.parseFloat(v)) ** 2, 0));
    return `\n    ${HAND_KEYS_AS_WRITTEN[i]} : [ ${vals.join(' , ')},${norm.toPrecision(12)},  ${i} ]`;
  });
  return `{ "precision": 8,
  "l2NormIndex": 3, "wordIndex": 4,
  "size": ${HAND_WORDS.length},
  "extra": {"s": "]}\\" {[", "n": [1, {"z": []}, -2.5e3, true, null]},
  "dimensions": 3,
  "vectors": {${entries.join(',')}
  },
  "words": [${HAND_KEYS_AS_WRITTEN.join(', ')}],
  "unkVector": [0, 0, 0, 0, -1]
}
`;
}

/**
 * The oracle: JSON.parse of a wink-layout text, placed row by row into float32, as the contract says.
 */
export function parseWithJsonParse(text: string): { words: string[]; dim: number; data: Float32Array } {
  const j = JSON.parse(text) as {
    size: number;
    dimensions: number;
    wordIndex: number;
    words: string[];
    vectors: Record<string, number[]>;
  };
  const data = new Float32Array(j.size * j.dimensions);
  for (const [, v] of Object.entries(j.vectors)) {
    data.set(v.slice(0, j.dimensions), v[j.wordIndex] * j.dimensions);
  }
  return { words: j.words, dim: j.dimensions, data };
}

/**
 * A synthetic wink-layout file of `rows` words × `dim` from a tiny LCG (values with 6 decimals, as
 * text), with row `zeroRow` all zeros, so ANN-set tests run on something small.
 */
export function syntheticWinkJson(rows: number, dim: number, zeroRow: number, seed = 7): string {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const words: string[] = [];
  const entries: string[] = [];
  for (let i = 0; i < rows; i++) {
    const w = `w${i}`;
    words.push(JSON.stringify(w));
    const vals: string[] = [];
    for (let t = 0; t < dim; t++) vals.push(i === zeroRow ? '0' : (next() * 2 - 1).toFixed(6));
    const norm = Math.sqrt(vals.reduce((a, v) => a + Math.fround(Number(v)) ** 2, 0));
    entries.push(`${JSON.stringify(w)}:[${vals.join(',')},${norm.toFixed(8)},${i}]`);
  }
  return `{"precision":8,"l2NormIndex":${dim},"wordIndex":${dim + 1},"size":${rows},"dimensions":${dim},"words":[${words.join(',')}],"vectors":{${entries.join(',')}}}`;
}

export function writeText(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/**
 * Naive exact top-k by inner product: float64 dot products summed in index order, rounded to float32,
 * ranked by (score desc, row asc). Used as the oracle for the brute-force search.
 */
export function naiveTopK(base: Float32Array, queries: Float32Array, dim: number, k: number): { ids: Int32Array; scores: Float32Array } {
  const nb = base.length / dim;
  const nq = queries.length / dim;
  const ids = new Int32Array(nq * k).fill(-1);
  const scores = new Float32Array(nq * k).fill(-Infinity);
  for (let i = 0; i < nq; i++) {
    const all: { s: number; j: number }[] = [];
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let t = 0; t < dim; t++) s += queries[i * dim + t] * base[j * dim + t];
      all.push({ s: Math.fround(s), j });
    }
    all.sort((a, b) => b.s - a.s || a.j - b.j);
    for (let r = 0; r < Math.min(k, nb); r++) {
      ids[i * k + r] = all[r].j;
      scores[i * k + r] = all[r].s;
    }
  }
  return { ids, scores };
}
