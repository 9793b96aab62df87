import type { Command } from 'commander';
import { LibvqError } from '@libvq/index-core';

/**
 * Runs the program and turns failures into one or two lines on stderr and a non-zero exit code.
 * Stack traces are for --debug only: a user with a wrong path needs the path, not our call stack.
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      process.exitCode = e.exitCode ?? 1;
      return;
    }
    if (debug) console.error(err);
    else if (err instanceof LibvqError) console.error(`libvq: error [${err.code}]: ${err.message}`);
    else console.error(`libvq: error: ${e.message ?? String(err)}`);
    process.exitCode = 2;
  }
}
