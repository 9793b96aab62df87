import { describe, expect, it } from 'vitest';
import { deserializeIndex, indexFactory, serializeIndex } from '../src/index.js';
import { structuredData } from './helpers/data.js';

/*
 * The reader hands 8-bit and fast-scan lists over as views of the file's bytes (read-index.ts ListStore): a list
 * read into an index must get its own copy, and the write self-check (serializeIndex reads its bytes back and
 * digests them) must not copy the lists at all. The oracles: the bytes the index serialized to before the file's
 * buffer was overwritten, and the sizes of the arrays the check may allocate (its output, the ids).
 */

function built(factory: string, n: number, d = 64) {
  const index = indexFactory(d, factory, 'l2', 'js');
  index.trainSync(structuredData(4000, d, 1), { seed: 3 });
  index.addSync(structuredData(n, d, 2));
  return index;
}

describe('reading and the write self-check: lists viewed in the file, copied only into an index', () => {
  it.each([
    ['IVF16,PQ8x8', 64],
    ['IVF16,PQ8x4fs', 64],
    ['IVF16,PQ7x4fs', 63], // odd M: a padding sub-quantizer in every block
    ['IVF16,PQ8x4', 64],
    ['IVF16,Flat', 64],
  ] as const)(
    '%s: a list read from a Buffer is its own (overwriting the buffer changes nothing)',
    (factory, d) => {
      const original = serializeIndex(built(factory, 3000, d));
      const file = Buffer.from(original); // a copy: the buffer read from, then destroyed
      const back = deserializeIndex(file);
      file.fill(0xa5);
      expect(Buffer.from(serializeIndex(back)).equals(Buffer.from(original))).toBe(true);
    },
  );

  it.each(['IVF64,PQ32x4fs', 'IVF64,PQ32x8'])(
    '%s, 100,000 entries: serializeIndex allocates its output and the ids, no copy of the codes',
    (factory) => {
      const n = 100_000;
      const index = built(factory, n);
      const held = () => process.memoryUsage().arrayBuffers;
      const before = held();
      const bytes = serializeIndex(index);
      const grew = held() - before;
      // The output, the ids as int64 in the written chunks, the ids the check reads back (float64), and 2 MiB for
      // the rest (measured 1.1–1.3 MB). Copying the 32 bytes (8-bit) or the 32 one-byte codes (fast-scan) of every
      // entry once more adds 3.2 MB; a GC during the call can only make `grew` smaller.
      const allowed = bytes.length + 8 * n + 8 * n + (2 << 20);
      expect(grew).toBeLessThan(allowed);
    },
  );
});
