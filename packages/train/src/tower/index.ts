// @libvq/train/tower: trainable towers and their building blocks (a tower is what embeds a batch of token rows).
export { isTrainableTower, stateArray, stateStep, type TowerState, type TrainableTower } from './types.js';
export { EmbeddingBagTower, type EmbeddingBagTowerOptions } from './embedding-bag-tower.js';
export { HeadTower, type HeadTowerOptions } from './head-tower.js';
export { TransformerTower, checkTrainLayers, type TransformerTowerOptions, type TrainLayers } from './transformer-tower.js';
export { LinearHead, l2NormalizeRows, l2NormalizeRowsBackward } from './linear-head.js';
export { embedTokenRows, tokenBatchOf, tokenRowsOf, type EmbedTokenRowsOptions, type QueryTokens } from './embed-tokens.js';
