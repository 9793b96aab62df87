import { libraryConfig } from '../../tsup.library.js';

// onnx and model are the package's subpath exports (@libvq/encoder/onnx, /model); shared code goes into shared
// chunks (cjs too), so each class exists once whichever entry loads it.
const entries = { index: 'src/index.ts', onnx: 'src/onnx.ts', model: 'src/model.ts' };
export default libraryConfig({ entry: entries, dts: { entry: entries }, splitting: true });
