import { LibvqError } from '@libvq/index-core';

/** Options every raw-file loader takes. */
export interface RawReadOptions {
  /** Skip malformed rows (counting them) instead of failing on the first. Default false. */
  skipBadRows?: boolean;
  signal?: AbortSignal;
  /** Bytes read so far and the file size. */
  onProgress?: (done: number, total: number) => void;
}

/** What a loader skipped (skipBadRows), so nothing is dropped silently. */
export interface SkipReport {
  skipped: number;
  /** The first few problems, "file:line: reason". */
  skippedExamples: string[];
}

const MAX_EXAMPLES = 10;

/**
 * Collects malformed rows of one file: with skipBadRows the row is counted and remembered (a few
 * examples), otherwise it is an error "file:line: reason".
 */
export class BadRows implements SkipReport {
  skipped = 0;
  skippedExamples: string[] = [];

  constructor(
    readonly path: string,
    private readonly skip: boolean,
  ) {}

  /** Reports a bad row: throws, or counts it when skipping. */
  report(line: number, reason: string): void {
    const msg = `${this.path}:${line}: ${reason}`;
    if (!this.skip) throw new LibvqError('BAD_FILE', msg);
    this.skipped++;
    if (this.skippedExamples.length < MAX_EXAMPLES) this.skippedExamples.push(msg);
  }

  summary(): SkipReport {
    return { skipped: this.skipped, skippedExamples: this.skippedExamples.slice() };
  }
}

/** "a \t b" as a readable column count mismatch. */
export function columnsMessage(got: number, expected: string): string {
  return `expected ${expected}, got ${got} column${got === 1 ? '' : 's'}`;
}
