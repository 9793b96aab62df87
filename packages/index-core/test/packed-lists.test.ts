import { describe, expect, it } from 'vitest';
import { deserializeIndex, indexFactory, serializeIndex } from '../src/index.js';
import { packBlocks, packEntry, packedBlockBytes } from '../src/fastscan/pack-blocks.js';
import { flatLayout, packed4Layout } from '../src/indexes/code-layout.js';
import type { IndexIVFPQ } from '../src/indexes/index-ivf-pq.js';
import type { IndexIVFPQFastScan } from '../src/indexes/index-ivf-pq-fast-scan.js';
import { InvertedLists } from '../src/indexes/inverted-lists.js';
import { type Rng, createRng } from '../src/random.js';
import { structuredData } from './helpers/data.js';

/*
 * Fast-scan IVF lists keep their codes only in faiss's block layout (code-layout.ts packed4). The oracle: a plain
 * one-byte-per-code InvertedLists given the same adds and removes, whose lists packBlocks must turn into exactly the
 * bytes the packed lists hold, and from which every entry must read back.
 */

const M = 7; // odd: the last sub-quantizer pair is half padding
const NLIST = 5;

function randomBatch(rng: Rng, n: number, firstId: number): { lists: Int32Array; codes: Uint8Array; ids: Float64Array } {
  const lists = new Int32Array(n);
  const codes = new Uint8Array(n * M);
  const ids = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // List 4 stays empty.
    lists[i] = Math.floor(rng.next() * (NLIST - 1));
    ids[i] = firstId + i;
    for (let m = 0; m < M; m++) codes[i * M + m] = Math.floor(rng.next() * 16);
  }
  return { lists, codes, ids };
}

function expectSameLists(packed: InvertedLists, flat: InvertedLists, what: string): void {
  const entry = new Uint8Array(M);
  for (let l = 0; l < NLIST; l++) {
    const n = flat.sizes[l];
    expect(packed.sizes[l], `${what} list ${l} size`).toBe(n);
    expect(Array.from(packed.ids[l].subarray(0, n)), `${what} list ${l} ids`).toEqual(Array.from(flat.ids[l].subarray(0, n)));
    expect(packed.codes[l].length, `${what} list ${l} bytes`).toBe(packedBlockBytes(n, M));
    expect(Buffer.from(packed.codes[l]).equals(Buffer.from(packBlocks(flat.codes[l], n, M))), `${what} list ${l} blocks`).toBe(true);
    expect(Buffer.from(packed.readCodes(l)).equals(Buffer.from(flat.codes[l].subarray(0, n * M))), `${what} list ${l} read back`).toBe(true);
    for (let o = 0; o < n; o += 7) {
      packed.readEntry(l, o, entry);
      expect(Array.from(entry), `${what} list ${l} entry ${o}`).toEqual(Array.from(flat.codes[l].subarray(o * M, (o + 1) * M)));
    }
  }
}

describe('packed inverted lists (fast-scan codes in faiss\'s block layout only)', () => {
  it('adds in batches, removes, and shared copies hold what packBlocks makes of plain one-byte lists', () => {
    const rng = createRng(5);
    const packed = new InvertedLists(NLIST, M, packed4Layout(M));
    const flat = new InvertedLists(NLIST, M, flatLayout(M));
    let id = 0;
    // Batch sizes that end lists inside a block, on a block boundary and across several blocks.
    for (const n of [1, 40, 64, 333]) {
      const b = randomBatch(rng, n, id);
      id += n;
      packed.appendBatch(b.lists, b.codes, b.ids);
      flat.appendBatch(b.lists, b.codes, b.ids);
      expectSameLists(packed, flat, `after adding ${n}`);
    }
    const drop = new Float64Array([0, 5, 41, 42, 43, 100, 437]);
    expect(packed.removeIds(drop)).toBe(flat.removeIds(drop));
    expectSameLists(packed, flat, 'after remove');

    // Placed back to back (one region), then added to: the region is never written and the lists stay right.
    const region = packed.sharedCopy();
    expect(region.codes.length).toBe(packed.codeBytes());
    const before = Buffer.from(region.codes).toString('hex');
    const b = randomBatch(rng, 50, id);
    packed.appendBatch(b.lists, b.codes, b.ids);
    flat.appendBatch(b.lists, b.codes, b.ids);
    expectSameLists(packed, flat, 'after add over a shared copy');
    expect(Buffer.from(region.codes).toString('hex')).toBe(before);

    // A replica over the shared copy reads what the lists held when it was made.
    const replica = new InvertedLists(NLIST, M, packed4Layout(M));
    const now = packed.sharedCopy();
    replica.adoptShared(now.offsets, now.codes, now.ids);
    expectSameLists(replica, flat, 'replica');

    // One entry leaves three filled lists as they are: only its list gets new arrays, and the next shared copy
    // is a new one that a replica reads right.
    const one = randomBatch(rng, 1, id + 50);
    packed.appendBatch(one.lists, one.codes, one.ids);
    flat.appendBatch(one.lists, one.codes, one.ids);
    expectSameLists(packed, flat, 'after adding one');
    const later = packed.sharedCopy();
    expect(later.ids).not.toBe(now.ids);
    const replica2 = new InvertedLists(NLIST, M, packed4Layout(M));
    replica2.adoptShared(later.offsets, later.codes, later.ids);
    expectSameLists(replica2, flat, 'replica after adding one');
  });

  it('an add that changes every filled list lays all lists out in shared memory, which a shared copy reuses', () => {
    for (const layout of [flatLayout(M), packed4Layout(M)]) {
      const lists = new InvertedLists(NLIST, M, layout);
      const flat = new InvertedLists(NLIST, M, flatLayout(M));
      const rng = createRng(9);
      for (const n of [200, 300]) {
        const b = randomBatch(rng, n, 1000 * n);
        lists.appendBatch(b.lists, b.codes, b.ids);
        flat.appendBatch(b.lists, b.codes, b.ids);
        const ids = lists.ids[0].buffer;
        const codes = lists.codes[0].buffer;
        const shared = lists.sharedCopy();
        // No copy: the buffers handed to the workers are the ones the add laid every list out in.
        expect(ids).toBeInstanceOf(SharedArrayBuffer);
        expect(shared.ids.buffer).toBe(ids);
        expect(shared.codes.buffer).toBe(codes);
        for (let l = 0; l < NLIST - 1; l++) {
          expect(lists.ids[l].buffer, `list ${l} ids`).toBe(ids);
          expect(lists.codes[l].buffer, `list ${l} codes`).toBe(codes);
        }
        const replica = new InvertedLists(NLIST, M, layout);
        replica.adoptShared(shared.offsets, shared.codes, shared.ids);
        if (layout.name === 'packed4') expectSameLists(replica, flat, `replica after ${n}`);
        for (let l = 0; l < NLIST; l++) {
          expect(Array.from(replica.ids[l]), `replica list ${l} ids after ${n}`).toEqual(Array.from(flat.ids[l].subarray(0, flat.sizes[l])));
          expect(Buffer.from(replica.readCodes(l)).equals(Buffer.from(flat.codes[l].subarray(0, flat.sizes[l] * M))), `replica list ${l} codes after ${n}`).toBe(true);
        }
      }
    }
  });

  it('refuses a list whose codes are not in the stored layout', () => {
    const packed = new InvertedLists(NLIST, M, packed4Layout(M));
    expect(() => packed.setList(0, new Uint8Array(3 * M), new Float64Array(3))).toThrow(/needs 128 bytes of packed4 codes, got 21/);
  });
});

describe('IVF fast-scan index memory', () => {
  const D = 16;
  const data = structuredData(3000, D, 3);
  const queries = structuredData(20, D, 4);

  function built(): IndexIVFPQFastScan {
    const index = indexFactory(D, 'IVF8,PQ8x4fs', 'l2') as IndexIVFPQFastScan;
    index.trainSync(data);
    index.addSync(data);
    return index;
  }

  it('keeps one copy of its codes: the packed blocks, in one shared arena after a search, which threaded searches share', () => {
    const index = built();
    const inv = index.invlists;
    let blocks = 0;
    for (let l = 0; l < index.nlist; l++) blocks += packedBlockBytes(inv.sizes[l], 8);
    // Packed blocks, ids (8 bytes each), coarse centroids and codebooks: nothing more (one-byte codes would add 3000 × 8).
    expect(index.memoryBytes()).toBe(blocks + 3000 * 8 + index.nlist * D * 4 + index.pq.centroids.byteLength);
    const one = index.searchSync(queries, { k: 5, nprobe: 3 });
    const region = inv.currentRegion();
    expect(region?.memory).toBeDefined();
    for (let l = 0; l < index.nlist; l++) if (inv.sizes[l] > 0) expect(inv.codes[l].buffer).toBe(region!.codes.buffer);
    const two = index.searchSync(queries, { k: 5, nprobe: 3, threads: 2 });
    expect(Buffer.from(two.labels.buffer).equals(Buffer.from(one.labels.buffer))).toBe(true);
    // The workers were handed the arena itself, not a copy of the lists.
    const snap = index.share(true);
    expect(snap.codesMemory).toBe(region!.memory);
    expect(inv.currentRegion()).toBe(region);
    expect(index.memoryBytes()).toBe(blocks + 3000 * 8 + index.nlist * D * 4 + index.pq.centroids.byteLength);
  });

  it('a first search on threads places the lists in their arena before sharing it (no plain copy for the workers)', () => {
    const index = built();
    const one = built().searchSync(queries, { k: 5, nprobe: 3 });
    const two = index.searchSync(queries, { k: 5, nprobe: 3, threads: 2 });
    expect(Buffer.from(two.labels.buffer).equals(Buffer.from(one.labels.buffer))).toBe(true);
    const region = index.invlists.currentRegion();
    expect(region?.memory).toBeDefined();
    expect(index.share(true).codesMemory).toBe(region!.memory);
  });

  it('8-bit IVF-PQ scans its codes in place in an arena too, which threaded searches share (no copy)', () => {
    const build = () => {
      const index = indexFactory(D, 'IVF8,PQ8x8', 'l2') as IndexIVFPQ;
      index.trainSync(data);
      index.addSync(data);
      return index;
    };
    const index = build();
    const inv = index.invlists;
    // The add laid the codes out in an arena already: the first search scans them there without placing a copy.
    const added = inv.currentRegion();
    expect(added?.memory).toBeDefined();
    const one = index.searchSync(queries, { k: 5, nprobe: 3 });
    const region = inv.currentRegion();
    expect(region).toBe(added);
    expect(region?.memory).toBeDefined();
    for (let l = 0; l < index.nlist; l++) if (inv.sizes[l] > 0) expect(inv.codes[l].buffer).toBe(region!.codes.buffer);
    const two = index.searchSync(queries, { k: 5, nprobe: 3, threads: 2 });
    expect(Buffer.from(two.labels.buffer).equals(Buffer.from(one.labels.buffer))).toBe(true);
    expect(Buffer.from(two.distances.buffer).equals(Buffer.from(one.distances.buffer))).toBe(true);
    expect(index.share(true).codesMemory).toBe(region!.memory);
    // A first search on threads places the lists in an arena before sharing it.
    const fresh = build();
    const threaded = fresh.searchSync(queries, { k: 5, nprobe: 3, threads: 2 });
    expect(Buffer.from(threaded.labels.buffer).equals(Buffer.from(one.labels.buffer))).toBe(true);
    expect(fresh.share(true).codesMemory).toBe(fresh.invlists.currentRegion()!.memory);
  });

  it('clears what a file leaves in the padding of a list\'s last block, so later adds read back right', () => {
    const index = built();
    const inv = index.invlists;
    const l = Array.from(inv.sizes).findIndex((n) => n % 32 !== 0);
    const n = inv.sizes[l];
    const bytes = serializeIndex(index);
    const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(Buffer.from(inv.codes[l]));
    expect(at).toBeGreaterThan(0);
    // Code 15 for every sub-quantizer of every padding entry of list l's last block.
    const dirty = inv.codes[l].slice();
    const fifteen = new Uint8Array(8).fill(15);
    for (let i = n; i < Math.ceil(n / 32) * 32; i++) packEntry(dirty, i, fifteen, 0, 8);
    expect(Buffer.from(dirty).equals(Buffer.from(inv.codes[l]))).toBe(false);
    bytes.set(dirty, at);
    const back = deserializeIndex(bytes) as IndexIVFPQFastScan;
    expect(Buffer.from(back.invlists.codes[l]).equals(Buffer.from(inv.codes[l]))).toBe(true);
    const more = structuredData(200, D, 9);
    back.addSync(more);
    index.addSync(more);
    for (let j = 0; j < index.nlist; j++) {
      expect(Buffer.from(back.invlists.readCodes(j)).equals(Buffer.from(index.invlists.readCodes(j))), `list ${j}`).toBe(true);
    }
  });
});
