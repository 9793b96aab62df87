import { Command } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerBuild } from './commands/build.js';
import { registerCluster, registerWorker } from './commands/cluster.js';
import { registerDemoAnn } from './commands/demo-ann.js';
import { registerDemo } from './commands/demo.js';
import { registerEncode } from './commands/encode.js';
import { registerEval } from './commands/eval.js';
import { registerPreprocess } from './commands/preprocess.js';
import { registerSearch } from './commands/search.js';
import { registerTrain } from './commands/train.js';

/** Every command of `libvq`, in help order; each lives in commands/<name>.ts and registers itself on the program. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerPreprocess, registerEncode, registerBuild, registerTrain, registerSearch, registerEval, registerBench, registerDemo, registerDemoAnn,
  registerCluster, registerWorker,
];

export function createProgram(): Command {
  const program = new Command('libvq')
    .description('libvq-ts: learnable IVF / PQ / OPQ indexes for dense retrieval')
    .option('--debug', 'print stack traces on errors');
  for (const register of COMMANDS) register(program);
  return program;
}
