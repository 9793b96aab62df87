export * from './grad/index.js';
