export * from './grad/index.js';
export * from './optim/index.js';
