import { libraryConfig } from '../../tsup.library.js';

// The index-thread worker is its own entry: parallel/pool.ts loads it as ./parallel-worker.js next to the bundle.
// backend, util, gpujs and testing are the package's subpath exports (@libvq/index-core/backend, /util, /gpujs, /testing). Code they share with
// the main entry goes into shared chunks in both formats (cjs splitting too), so a class such as LibvqError is
// one class whichever entry a program loads it through.
export default libraryConfig({
  entry: { index: 'src/index.ts', backend: 'src/backend.ts', util: 'src/util.ts', gpujs: 'src/gpujs.ts', testing: 'src/testing/index.ts', 'parallel-worker': 'src/thread-entry.ts' },
  dts: { entry: { index: 'src/index.ts', backend: 'src/backend.ts', util: 'src/util.ts', gpujs: 'src/gpujs.ts', testing: 'src/testing/index.ts' } },
  splitting: true,
});
