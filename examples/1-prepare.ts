// LibVQ step 1: prepare the encoder and the data (preprocess_data + inference).
import { preprocessData } from '@libvq/dataset';
import { inference } from '@libvq/encoder';
import { loadGlove100Encoder } from '@libvq/glove';
import { DATA, PRE } from './paths.js';

const encoder = await loadGlove100Encoder(); // the built-in ONNX model: GloVe 6B 100-d bag of words
await preprocessData({ dataDir: DATA, outputDir: PRE, tokenizer: encoder.tokenizer!, maxDocLength: 1024, maxQueryLength: 64 });
for (const prefix of ['docs', 'train-queries', 'dev-queries']) {
  const r = await inference({ dataDir: PRE, prefix, encoder, outputDir: PRE }); // {prefix}.embeddings.arrow
  console.log(`${prefix}: ${r.rows} x ${r.dim} -> ${r.path}`);
}
await encoder.dispose();
