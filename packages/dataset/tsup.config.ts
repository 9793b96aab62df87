import { libraryConfig } from '../../tsup.library.js';

// The tokenizer worker is its own entry: worker-pool.ts loads it as ./tokenize-worker.js next to the bundle.
// formats, arrow and tokens are the package's subpath exports (@libvq/dataset/formats, /arrow, /tokens); code
// they share with the main entry goes into shared chunks (cjs too), so each class exists once.
const entries = { index: 'src/index.ts', formats: 'src/formats.ts', arrow: 'src/arrow.ts', tokens: 'src/tokens.ts' };
export default libraryConfig({
  entry: { ...entries, 'tokenize-worker': 'src/preprocess/tokenize-worker.ts' },
  dts: { entry: entries },
  splitting: true,
});
