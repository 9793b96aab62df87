import { Command } from 'commander';
import { runCli } from './run.js';
import { registerEncode } from './commands/encode.js';
import { registerPreprocess } from './commands/preprocess.js';
import { registerDemo } from './commands/demo.js';
import { registerDemoAnn } from './commands/demo-ann.js';
import { registerBuild } from './commands/build.js';
import { registerSearch } from './commands/search.js';
import { registerEval } from './commands/eval.js';
import { registerTrain } from './commands/train.js';

// Each command lives in commands/<name>.ts and registers itself on the program.
const registrations: Array<(program: Command) => void> = [registerPreprocess, registerEncode, registerDemo, registerDemoAnn, registerBuild, registerSearch, registerEval, registerTrain];

const program = new Command('libvq')
  .description('libvq-ts: learnable IVF / PQ / OPQ indexes for dense retrieval')
  .option('--debug', 'print stack traces on errors');
for (const register of registrations) register(program);

await runCli(program, process.argv);
