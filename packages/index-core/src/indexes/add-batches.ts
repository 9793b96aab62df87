import { throwIfAborted } from '../errors.js';
import type { Matrix } from '../matrix.js';
import type { LongOperationOptions } from '../progress.js';
import type { Index } from './index.js';

/**
 * Adds vectors that arrive in batches (a file read batch by batch, e.g. @libvq/dataset's openVectors(path).batches(n),
 * or any async source), so a corpus larger than memory is indexed with one batch in memory at a time. Ids run on
 * from ntotal, as with add(). The result is the same index as one add() of all rows. Returns the rows added.
 */
export async function addBatches(
  index: Index,
  batches: AsyncIterable<Matrix | { matrix: Matrix }>,
  opts: LongOperationOptions & { /** Rows expected in all, for onProgress (default: unknown, reported as 0). */ total?: number } = {},
): Promise<number> {
  let added = 0;
  // The index's own reports within a batch (IVF encodes in blocks), counted from the rows before it: one batch can
  // be the whole file (~64 MB of vectors by default), and a bar fed only per batch would sit at 0 until the end.
  let last = -1;
  const report = opts.onProgress && ((done: number) => {
    if (done !== last) opts.onProgress!(done, opts.total ?? 0, 'add');
    last = done;
  });
  for await (const b of batches) {
    throwIfAborted(opts.signal, 'addBatches');
    const m = 'matrix' in b ? b.matrix : b;
    const before = added;
    await index.add(m, { signal: opts.signal, onProgress: report && ((done) => report(before + done)) });
    added += m.rows;
    report?.(added);
  }
  return added;
}
