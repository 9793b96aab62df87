export { encodeSafetensors, decodeSafetensors, expectTensor, tensor, type Tensor, type SafeDtype, type TensorData, type DecodedSafetensors } from './safetensors.js';
export { writeDirAtomic, readFileChecked, sha256 } from './files.js';
export { saveLearnableIndex, loadLearnableIndex, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointManifest } from './learnable-checkpoint.js';
