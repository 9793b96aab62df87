import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LibvqError } from '@libvq/index-core';
import { runCli } from '../src/run.js';

// Every failure ends in one coded line: allocation failures (V8's RangeErrors under `ulimit -v` or for a size no
// array can have) become OUT_OF_MEMORY naming the command, not an uncoded "Array buffer allocation failed".
function programThrowing(err: unknown): Command {
  const p = new Command('libvq');
  p.command('build').action(() => {
    throw err;
  });
  return p;
}

async function stderrOf(err: unknown): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await runCli(programThrowing(err), ['node', 'libvq', 'build']);
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('runCli error lines', () => {
  it('maps allocation failures to OUT_OF_MEMORY with the command', async () => {
    for (const m of ['Array buffer allocation failed', 'Invalid typed array length: 4294967296', 'Invalid array length']) {
      const out = await stderrOf(new RangeError(m));
      expect(out).toMatch(/^libvq: error \[OUT_OF_MEMORY\]: libvq build could not allocate/);
      expect(out).toContain(m);
      expect(process.exitCode).toBe(2);
    }
  });

  it('keeps LibvqError codes and leaves other RangeErrors uncoded', async () => {
    expect(await stderrOf(new LibvqError('BAD_FILE', 'x.npy: truncated'))).toBe('libvq: error [BAD_FILE]: x.npy: truncated');
    expect(await stderrOf(new RangeError('Maximum call stack size exceeded'))).toBe('libvq: error: Maximum call stack size exceeded');
  });
});
