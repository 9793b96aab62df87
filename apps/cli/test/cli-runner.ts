import { Command } from 'commander';
import { vi } from 'vitest';
import { runCli } from '../src/run.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `libvq <args>` in-process with the given commands registered; returns the exit code and what was
 * printed. No exitOverride here: runCli must set it on the subcommands itself (a usage error would
 * otherwise end the test process through commander's process.exit).
 */
export async function runLibvq(registrations: Array<(program: Command) => void>, args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  const program = new Command('libvq').option('--debug');
  program.configureOutput({ writeErr: (s) => err.push(s), writeOut: (s) => out.push(s) });
  for (const register of registrations) register(program);
  try {
    await runCli(program, ['node', 'libvq', ...args]);
  } finally {
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out: out.join('\n'), err: err.join('\n') };
}
