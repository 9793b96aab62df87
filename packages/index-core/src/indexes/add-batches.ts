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
  for await (const b of batches) {
    throwIfAborted(opts.signal, 'addBatches');
    const m = 'matrix' in b ? b.matrix : b;
    index.addSync(m);
    added += m.rows;
    opts.onProgress?.(added, opts.total ?? 0, 'add');
  }
  return added;
}
