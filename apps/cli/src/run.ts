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
    else if (isAllocationFailure(err)) {
      console.error(
        `libvq: error [OUT_OF_MEMORY]: libvq ${argv[2] ?? ''} could not allocate the memory it needed (${e.message}); ` +
          'the input is larger than this process may use (see ulimit -v, --batch-rows) or declares a size it does not hold',
      );
    } else if (err instanceof LibvqError) console.error(`libvq: error [${err.code}]: ${err.message}`);
    else console.error(`libvq: error: ${e.message ?? String(err)}`);
    process.exitCode = 2;
  }
}

/** V8's errors for an allocation it cannot make (an ArrayBuffer beyond the address-space limit, a length too large). */
function isAllocationFailure(err: unknown): boolean {
  return err instanceof RangeError && /Array buffer allocation failed|Invalid typed array length|Invalid array length/.test(err.message);
}
