export { encodeSafetensors, decodeSafetensors, expectTensor, tensor, type Tensor, type SafeDtype, type TensorData, type DecodedSafetensors } from './safetensors.js';
export { writeDirAtomic, readFileChecked, sha256 } from './files.js';
export { readVersion, versionsDirOf, MAX_READ_ATTEMPTS } from './versioned-dir.js';
export { saveLearnableIndex, loadLearnableIndex, readManifest, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointManifest, type CheckpointExtra } from './learnable-checkpoint.js';
export { saveTrainCheckpoint, loadTrainCheckpoint, type TrainState, type OptimizerState } from './train-state.js';
