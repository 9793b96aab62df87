import { afterEach, describe, expect, it, vi } from 'vitest';
import { withStageProgress } from '../src/progress.js';

const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
afterEach(() => {
  vi.restoreAllMocks();
  if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
  else delete (process.stderr as { isTTY?: boolean }).isTTY;
});

/** What the bars write to a non-TTY stderr (a log), line by line. */
function capture(): string[] {
  Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((l) => l !== ''));
    return true;
  });
  return lines;
}

describe('stage bars in a log (stderr not a TTY)', () => {
  it("each stage's first report is written at once, so a stage shows from its start, not only after its first step", async () => {
    const lines = capture();
    await withStageProgress((stage) => ({ label: `stage ${stage}`, unit: 'steps' }), (onProgress) => {
      onProgress(0, 50, 'opq');
      expect(lines.at(-1)).toMatch(/^stage opq \[-+\]\s+0% 0\/50 /); // before any step has run
      onProgress(1, 50, 'opq'); // within 5 s of the last line: not written
      onProgress(50, 50, 'opq');
      onProgress(0, 25, 'ivf'); // the next stage: the finished bar's last line, then the new bar's first
    });
    expect(lines).toEqual([
      expect.stringMatching(/^stage opq \[-+\]\s+0% 0\/50 /),
      expect.stringMatching(/^stage opq \[#+\] 100% 50\/50 .* in /),
      expect.stringMatching(/^stage ivf \[-+\]\s+0% 0\/25 /),
      expect.stringMatching(/^stage ivf \[-+\]\s+0% 0\/25 .* in /),
    ]);
  });
});
