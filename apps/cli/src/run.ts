import type { Command } from 'commander';
import { LibvqError } from '@libvq/index-core';

/**
 * Usage errors come back as exceptions rather than commander's own process.exit. Commander copies
 * exitOverride only to subcommands created after the call, and commands are registered before this runs,
 * so every command in the tree is set here.
 */
export function exitOverrideAll(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) exitOverrideAll(sub);
}

/**
 * Runs the program and turns failures into one or two lines on stderr and a non-zero exit code.
 * Stack traces are for --debug only: a user with a wrong path needs the path, not our call stack.
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  exitOverrideAll(program);
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
