import { libraryConfig } from '../../tsup.library.js';

// The tokenizer worker is its own entry: worker-pool.ts loads it as ./tokenize-worker.js next to the bundle.
export default libraryConfig({
  entry: { index: 'src/index.ts', 'tokenize-worker': 'src/preprocess/tokenize-worker.ts' },
  dts: { entry: 'src/index.ts' },
});
