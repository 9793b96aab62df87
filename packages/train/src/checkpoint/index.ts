// @libvq/train/checkpoint: the checkpoint format's pieces (safetensors, checksummed files, versioned directories,
// the manifest); LearnableIndex.save / load and the persist functions on the main entry are the API.
export { encodeSafetensors, decodeSafetensors, expectTensor, safeDtype, type SafeDtype, type DecodedSafetensors } from './safetensors.js';
export { writeDirAtomic, readFileChecked, sha256 } from './files.js';
export { readVersion, versionsDirOf } from './versioned-dir.js';
export { readManifest, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointManifest, type CheckpointExtra } from './learnable-checkpoint.js';
export type { TrainState, OptimizerState } from './train-state.js';
// The plain-data readers and writers (learnable-checkpoint.ts, train-state.ts) stay internal. The package's API,
// saveLearnableIndex, loadLearnableIndex, saveTrainCheckpoint and loadTrainCheckpoint (which take / return a
// LearnableIndex), is in learnable/persist.ts, above both modules.
