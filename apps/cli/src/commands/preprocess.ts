import { InvalidArgumentError, type Command } from 'commander';
import { preprocessData, type PreprocessResult } from '@libvq/dataset';
import { withConfig } from '../config.js';
import { DEFAULT_MODEL, modelNames, resolveModel } from '../models/resolve-model.js';
import { interruptible } from '../interrupt.js';
import { withProgress } from '../progress.js';

function intAtLeast(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
}

interface PreprocessFlags {
  data: string;
  out: string;
  tokenizer: string;
  maxDocLength: number;
  maxQueryLength: number;
  workers: number;
  batchRows: number;
  skipBadRows?: boolean;
  cacheDir?: string;
}

function report(r: PreprocessResult, seconds: number): void {
  let rows = 0;
  for (const [prefix, s] of Object.entries(r.prefixes)) {
    rows += s.rows;
    console.log(`${prefix}: ${s.rows} rows, ${s.tokens} tokens (max ${s.maxLength}) from ${s.source}${s.skipped > 0 ? `, ${s.skipped} bad rows skipped` : ''}`);
    for (const e of s.skippedExamples) console.log(`  skipped ${e}`);
  }
  for (const [mode, s] of Object.entries(r.rels)) {
    console.log(`${mode}-rels: ${s.count} judgments for ${s.queries} queries from ${s.source}${s.skipped > 0 ? `, ${s.skipped} bad rows skipped` : ''}`);
    for (const e of s.skippedExamples) console.log(`  skipped ${e}`);
  }
  const rate = seconds > 0 ? (rows / seconds).toFixed(0) : 'inf';
  console.log(`tokenizer ${r.tokenizer}; ${rows} rows in ${seconds.toFixed(2)} s (${rate} rows/s) -> ${r.outputDir}`);
}

export function registerPreprocess(program: Command): void {
  const cmd = program
    .command('preprocess')
    .description('tokenize a LibVQ data directory (collection.tsv, {mode}-queries.tsv, {mode}-rels.tsv) into Arrow token files and id maps (LibVQ preprocess_data)')
    .requiredOption('--data <dir>', 'raw data directory in LibVQ layout')
    .requiredOption('--out <dir>', 'output directory ({prefix}.tokens.arrow, {prefix}.ids.arrow, {mode}-rels.arrow, preprocess.json)')
    .option('--tokenizer <name|path>', `${modelNames().map((n) => `"${n}"`).join(', ')}, a model directory with tokenizer.json, or a tokenizer.json`, DEFAULT_MODEL)
    .option('--max-doc-length <n>', 'tokens per document, special tokens included', intAtLeast('--max-doc-length', 2), 256)
    .option('--max-query-length <n>', 'tokens per query, special tokens included', intAtLeast('--max-query-length', 2), 32)
    .option('--workers <n>', 'tokenizer worker threads (1 = tokenize in the main thread)', intAtLeast('--workers', 1), 1)
    .option('--batch-rows <n>', 'rows per tokenization batch and Arrow record batch', intAtLeast('--batch-rows', 1), 2048)
    .option('--skip-bad-rows', 'skip malformed rows (they are counted and the first ones listed) instead of stopping')
    .option('--cache-dir <dir>', `where built-in models (${modelNames().join(', ')}) are generated (default $LIBVQ_CACHE_DIR, else ~/.cache/libvq)`)
    .addHelpText(
      'after',
      `
Examples:
  libvq preprocess --data my-collection --out pre --tokenizer ${DEFAULT_MODEL}
  libvq preprocess --data my-collection --out pre --tokenizer my-model/tokenizer.json --max-doc-length 512 --workers 2 --skip-bad-rows`,
    )
    .action(async (flags: PreprocessFlags) => {
      const tokenizer = await (await resolveModel(flags.tokenizer, { cacheDir: flags.cacheDir, what: '--tokenizer' })).tokenizer();
      const start = performance.now();
      // Ctrl-C stops at the next batch; the token file being written is removed (files already finished stay).
      const result = await interruptible(`preprocessing ${flags.data}`, (signal) =>
        withProgress('preprocessing', 'lines', (onProgress) =>
          preprocessData({
            dataDir: flags.data,
            outputDir: flags.out,
            tokenizer,
            maxDocLength: flags.maxDocLength,
            maxQueryLength: flags.maxQueryLength,
            workers: flags.workers,
            batchRows: flags.batchRows,
            skipBadRows: flags.skipBadRows === true,
            signal,
            onProgress,
          }),
        ),
      );
      report(result, (performance.now() - start) / 1000);
    });
  // Config keys: preprocessData's option names.
  withConfig(cmd, { apiNames: { dataDir: 'data', outputDir: 'out' } });
}
