import { libraryConfig } from '../../tsup.library.js';

// ann and model are the package's subpath exports (@libvq/glove/ann, /model); shared code goes into shared chunks
// (cjs too), so each module exists once whichever entry loads it.
const entries = { index: 'src/index.ts', ann: 'src/ann.ts', model: 'src/model.ts' };
export default libraryConfig({ entry: entries, dts: { entry: entries }, splitting: true });
