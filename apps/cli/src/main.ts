import { createProgram } from './program.js';
import { runCli } from './run.js';

await runCli(createProgram(), process.argv);
