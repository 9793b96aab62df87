import { InvalidArgumentError, type Command } from 'commander';
import { LibvqError } from '@libvq/index-core';
import { checkPooling } from '@libvq/encoder/model';
import { inference } from '@libvq/encoder';
import { withConfig } from '../config.js';
import { DEFAULT_MODEL, modelNames, resolveModel } from '../models/resolve-model.js';
import { interruptible } from '../interrupt.js';
import { withProgress } from '../progress.js';

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
    return n;
  };
}

interface EncodeFlags {
  data: string;
  prefix: string;
  model: string;
  out: string;
  batchSize: number;
  maxLength?: number;
  pooling?: string;
  normalize?: boolean;
  query?: boolean;
  doc?: boolean;
  threads?: number;
  cacheDir?: string;
}

export function registerEncode(program: Command): void {
  const cmd = program
    .command('encode')
    .description('encode preprocessed token files (libvq preprocess) into {prefix}.embeddings.arrow (LibVQ inference)')
    .requiredOption('--data <dir>', 'preprocessed directory ({prefix}.tokens.arrow, {prefix}.ids.arrow)')
    .requiredOption('--prefix <names>', 'prefix(es) to encode, comma-separated: docs, dev-queries, train-queries, ...')
    .option('--model <name|dir>', `${modelNames().map((n) => `"${n}"`).join(', ')} or a model directory (tokenizer.json, config.json, model.onnx)`, DEFAULT_MODEL)
    .requiredOption('--out <dir>', 'output directory')
    .option('--batch-size <n>', 'rows per model call', positiveInt('--batch-size'), 64)
    .option('--max-length <n>', 'tokens per row fed to the model (default: the length the tokens were preprocessed to)', positiveInt('--max-length'))
    .option('--pooling <mode>', 'model directories: cls | mean | none (default: config.json, else cls)')
    .option('--normalize', 'model directories: L2-normalise the embeddings')
    .option('--query', 'use the query tower (default: for prefixes ending in "queries")')
    .option('--doc', 'use the document tower')
    .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt('--threads'))
    .option('--cache-dir <dir>', `where built-in models (${modelNames().join(', ')}) are generated (default $LIBVQ_CACHE_DIR, else ~/.cache/libvq)`)
    .addHelpText(
      'after',
      `
Examples:
  libvq encode --data pre --prefix docs,dev-queries --model ${DEFAULT_MODEL} --out pre
  libvq encode --data pre --prefix docs,train-queries --model my-onnx-model --pooling mean --normalize --batch-size 32 --out emb`,
    )
    .action(async (flags: EncodeFlags) => {
      if (flags.query && flags.doc) throw new LibvqError('INVALID_ARGUMENT', '--query and --doc: give at most one');
      const prefixes = flags.prefix.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
      if (prefixes.length === 0) throw new LibvqError('INVALID_ARGUMENT', `--prefix: expected one or more names, got ${JSON.stringify(flags.prefix)}`);
      const pooling = flags.pooling === undefined ? undefined : checkPooling(flags.pooling, '--pooling');
      const model = await resolveModel(flags.model, { cacheDir: flags.cacheDir });
      const encoder = await model.encoder({ pooling, normalize: flags.normalize, threads: flags.threads });
      try {
        // Ctrl-C stops at the next batch; the embeddings file being written is removed (finished ones stay).
        await interruptible(`encoding into ${flags.out}`, async (signal) => {
          for (const prefix of prefixes) {
            const start = performance.now();
            const r = await withProgress(`encoding ${prefix}`, 'rows', (onProgress) =>
              inference({
                dataDir: flags.data,
                prefix,
                encoder,
                isQuery: flags.query ? true : flags.doc ? false : undefined,
                outputDir: flags.out,
                maxLength: flags.maxLength,
                batchSize: flags.batchSize,
                signal,
                onProgress,
              }),
            );
            const seconds = (performance.now() - start) / 1000;
            const rate = seconds > 0 ? (r.rows / seconds).toFixed(0) : 'inf';
            console.log(`${prefix}: ${r.rows} x ${r.dim} -> ${r.path} (${seconds.toFixed(2)} s, ${rate} rows/s${r.truncated > 0 ? `, ${r.truncated} rows truncated to --max-length` : ''})`);
          }
        });
      } finally {
        await encoder.dispose();
      }
    });
  // Config keys: inference's option names (prefix may be an array).
  withConfig(cmd, { apiNames: { dataDir: 'data', outputDir: 'out' }, lists: { prefix: ',' } });
}
