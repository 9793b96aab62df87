import { libraryConfig } from '../../tsup.library.js';

// fit, grad, optim, tower, checkpoint and transformer are the package's subpath exports (@libvq/train/fit, ...); shared code
// goes into shared chunks (cjs too), so each class exists once whichever entry loads it.
const entries = {
  index: 'src/index.ts', fit: 'src/fit.ts', grad: 'src/grad/index.ts', optim: 'src/optim/index.ts',
  tower: 'src/tower/index.ts', checkpoint: 'src/checkpoint/index.ts', transformer: 'src/transformer/index.ts',
};
// score-shares is what the index threads import for their share of the training step's score kernels
// (grad/score-threads.ts locates it as ./score-shares.js next to the bundle), gemm-shares their rows of a
// transformer's matrix products (transformer/dense.ts); not public subpaths.
export default libraryConfig({ entry: { ...entries, 'score-shares': 'src/grad/score-shares.ts', 'gemm-shares': 'src/transformer/gemm-shares.ts' }, dts: { entry: entries }, splitting: true });
