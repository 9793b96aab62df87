/**
 * Preprocessing benchmark (run by hand, not a test):
 *   node --conditions=source --import tsx packages/dataset/scripts/bench-preprocess.ts \
 *     [--data /work/shared/data/cranfield] [--lines 1000000] [--words 50] [--workers 1] [--tmp /tmp] [--heap MB]
 * 1. throughput on the real collection (--data), with a BERT-style WordLevel tokenizer over its words;
 * 2. a synthetic collection of --lines lines (seeded, generated into --tmp, removed afterwards):
 *    throughput and the process's peak RSS (main thread + workers), which must stay under 1 GB.
 * Each run happens in a child process so its peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@libvq/index-core/util';
import { preprocessData } from '../src/index.js';
import { loadWordTokenizer, wordLevelJson } from '../test/helpers/word-tokenizer.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

/** Child mode: preprocess one directory and print a JSON line with the figures. */
async function child(): Promise<void> {
  const [dataDir, outDir, tokPath, workers] = process.argv.slice(3);
  const tokenizer = loadWordTokenizer(tokPath);
  const t0 = performance.now();
  const r = await preprocessData({ dataDir, outputDir: outDir, tokenizer, workers: Number(workers), maxDocLength: 256, maxQueryLength: 32 });
  const seconds = (performance.now() - t0) / 1000;
  let rows = 0;
  let tokens = 0;
  for (const s of Object.values(r.prefixes)) {
    rows += s.rows;
    tokens += s.tokens;
  }
  console.log(JSON.stringify({ rows, tokens, seconds, rowsPerS: rows / seconds, tokensPerS: tokens / seconds, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
}

function runChild(dataDir: string, outDir: string, tokPath: string, workers: number): Record<string, number> {
  const self = fileURLToPath(import.meta.url);
  const heap = arg('heap', '');
  const flags = heap ? [`--max-old-space-size=${heap}`] : [];
  const out = execFileSync(process.execPath, [...flags, '--conditions=source', '--import', 'tsx', self, '--child', dataDir, outDir, tokPath, String(workers)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

async function writeSynthetic(dir: string, lines: number, wordsPerDoc: number, vocab: readonly string[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const rng = createRng(12345);
  const ws = createWriteStream(join(dir, 'collection.tsv'));
  let buf: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = Math.max(1, Math.round(wordsPerDoc * (0.5 + rng.next())));
    const words: string[] = new Array<string>(n);
    for (let j = 0; j < n; j++) words[j] = vocab[rng.int(vocab.length)];
    buf.push(`${i}\t${words.slice(0, 6).join(' ')}\t${words.slice(6).join(' ')}`);
    if (buf.length === 10000) {
      if (!ws.write(`${buf.join('\n')}\n`)) await new Promise<void>((r) => ws.once('drain', () => r()));
      buf = [];
    }
  }
  if (buf.length > 0) ws.write(`${buf.join('\n')}\n`);
  await new Promise<void>((r, j) => ws.end((e?: Error | null) => (e ? j(e) : r())));
  writeFileSync(join(dir, 'dev-queries.tsv'), Array.from({ length: 1000 }, (_, i) => `q${i}\t${vocab[i % vocab.length]} ${vocab[(i * 7) % vocab.length]}`).join('\n'));
}

async function main(): Promise<void> {
  const data = arg('data', '/work/shared/data/cranfield');
  const lines = Number(arg('lines', '1000000'));
  const words = Number(arg('words', '50'));
  const workers = Number(arg('workers', '1'));
  const tmp = join(arg('tmp', '/tmp'), `libvq-bench-preprocess-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  try {
    // Vocabulary: every word of the real collection (lower-cased runs of [a-z0-9]).
    const vocab = [...new Set(readFileSync(join(data, 'collection.tsv'), 'utf8').toLowerCase().match(/[a-z0-9]+/g) ?? [])].sort();
    const tokPath = join(tmp, 'tokenizer.json');
    writeFileSync(tokPath, JSON.stringify(wordLevelJson(vocab)));
    console.log(`vocabulary: ${vocab.length} words from ${data}/collection.tsv`);
    for (const w of [1, workers].filter((v, i, a) => a.indexOf(v) === i)) {
      const r = runChild(data, join(tmp, `real-${w}`), tokPath, w);
      console.log(`${data} (workers=${w}): ${r.rows} rows, ${r.tokens} tokens in ${r.seconds.toFixed(2)} s = ${r.rowsPerS.toFixed(0)} rows/s, ${(r.tokensPerS / 1e6).toFixed(2)} M tokens/s, peak RSS ${r.peakRssMB.toFixed(0)} MB`);
    }
    const synth = join(tmp, 'synthetic');
    const t0 = performance.now();
    await writeSynthetic(synth, lines, words, vocab);
    console.log(`synthetic collection: ${lines} lines, ~${words} words each, written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const w of [1, workers].filter((v, i, a) => a.indexOf(v) === i)) {
      const r = runChild(synth, join(tmp, `synthetic-out-${w}`), tokPath, w);
      console.log(`synthetic (workers=${w}): ${r.rows} rows, ${r.tokens} tokens in ${r.seconds.toFixed(1)} s = ${r.rowsPerS.toFixed(0)} rows/s, ${(r.tokensPerS / 1e6).toFixed(2)} M tokens/s, peak RSS ${r.peakRssMB.toFixed(0)} MB (limit 1024 MB)`);
      rmSync(join(tmp, `synthetic-out-${w}`), { recursive: true, force: true });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child();
else await main();
