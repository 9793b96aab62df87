import type { RowRange } from '../../src/parallel/protocol.js';
import { eachChunk } from '../../src/parallel/rows.js';

/** A 'call' job for the thread-layer test: row i of `out` gets i², and `writes[i]` counts how often row i was written. */
export interface SquareRowsJob extends RowRange {
  out: Float64Array;
  writes: Int32Array;
}

export function squareRows(j: SquareRowsJob): void {
  eachChunk(j, (r0, r1) => {
    for (let i = r0; i < r1; i++) {
      j.out[i] = i * i;
      Atomics.add(j.writes, i, 1);
    }
  });
}
