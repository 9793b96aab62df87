export * from './grad/index.js';
export * from './optim/index.js';
export * from './learnable/index.js';
export * from './checkpoint/index.js';
export * from './tower/index.js';
export * from './experiment/compare-quantizers.js';
