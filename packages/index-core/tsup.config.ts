import { libraryConfig } from '../../tsup.library.js';

// The index-thread worker is its own entry: parallel/pool.ts loads it as ./parallel-worker.js next to the bundle.
export default libraryConfig({
  entry: { index: 'src/index.ts', 'parallel-worker': 'src/thread-entry.ts' },
  dts: { entry: 'src/index.ts' },
});
