/// <reference path="../backend/js/wasm/webassembly.d.ts" />
import type { ListView } from '../backend/types.js';
import { isShared, sharedArray } from '../parallel/shared.js';
import { newArena } from '../fastscan/new-arena.js';
import { type CodeLayout, flatLayout, listEntries } from './code-layout.js';

const NO_CODES = new Uint8Array(0);
const NO_IDS = new Float64Array(0);

/**
 * One buffer that every list's codes view, back to back in list order from its start (placeCodes, sharedCopy,
 * adoptShared): a copy for worker threads, or a fast-scan index's WebAssembly arena (`memory`).
 */
export interface CodesRegion {
  readonly codes: Uint8Array;
  /** The WebAssembly memory `codes` lies in, when it does. */
  readonly memory?: WebAssembly.Memory;
}

/**
 * Per-list codes and ids, stored contiguously per list (faiss's ArrayInvertedLists). Arrays are sized
 * exactly after each batch so memory is n·(codeSize + 8) bytes, as in faiss; the layout (code-layout.ts) decides
 * the bytes of a list's codes: n·codeSize as given, or faiss's fast-scan blocks (half a byte per sub-quantizer).
 * Codes go in and come out one entry of codeSize bytes at a time whatever the layout (appendBatch, readEntry,
 * readCodes); `codes[l]` is the stored layout, for the kernels that scan it.
 */
export class InvertedLists implements ListView {
  readonly nlist: number;
  readonly codeSize: number;
  readonly layout: CodeLayout;
  readonly sizes: Int32Array;
  codes: Uint8Array[];
  ids: Float64Array[];
  /** Bumped by every change, so shared-memory copies for worker threads know when they are stale. */
  version = 0;
  /** The buffer every list's codes view at `regionVersion` (none: lists own their arrays). */
  private region: CodesRegion | null = null;
  private regionVersion = -1;
  /** The shared ids every list views at `idsVersion`, with the lists' entry offsets (appendBatch, sharedCopy). */
  private idsRegion: { ids: Float64Array; offsets: Int32Array } | null = null;
  private idsVersion = -1;

  constructor(nlist: number, codeSize: number, layout: CodeLayout = flatLayout(codeSize)) {
    if (layout.codeSize !== codeSize) throw new Error(`InvertedLists: layout ${layout.name} has entries of ${layout.codeSize} bytes, not ${codeSize}`);
    this.nlist = nlist;
    this.codeSize = codeSize;
    this.layout = layout;
    this.sizes = new Int32Array(nlist);
    // Every empty list shares one zero-length array (lists get their own arrays when filled): an index with
    // millions of lists costs 16 bytes per list until it holds vectors, not two array objects per list.
    this.codes = new Array<Uint8Array>(nlist).fill(NO_CODES);
    this.ids = new Array<Float64Array>(nlist).fill(NO_IDS);
  }

  get ntotal(): number {
    let n = 0;
    for (let l = 0; l < this.nlist; l++) n += this.sizes[l];
    return n;
  }

  /**
   * Appends n entries: entry i goes to list listNos[i] with codes[i*codeSize..] and id ids[i]. Every list that
   * changes gets new arrays zeroed past its old entries (packBlocks' precondition); the old ones may still be read
   * through a region. When no list that holds entries is left unchanged (a first add, or any large one), all lists
   * get their arrays as views of one new shared buffer for codes (a WebAssembly arena, where the scan kernels read
   * them in place) and one for ids, in list order, so a threaded search shares them with its workers as they are:
   * sharedCopy() copied them (GloVe IVF1024,PQ20x8: 10 MB), left the replaced arrays as holes in the malloc heap,
   * and the first search copied the codes into an arena again (IVF1024,PQ50x4fs, native, 2 threads: 9 MB lower peak).
   */
  appendBatch(listNos: Int32Array, codes: Uint8Array, ids: Float64Array): void {
    this.version++;
    const cs = this.codeSize;
    const layout = this.layout;
    const add = new Int32Array(this.nlist);
    for (let i = 0; i < listNos.length; i++) add[listNos[i]]++;
    const fill = new Int32Array(this.nlist);
    let everyListChanges = true;
    for (let l = 0; l < this.nlist && everyListChanges; l++) everyListChanges = this.sizes[l] === 0 || add[l] > 0;
    if (everyListChanges) this.appendIntoRegion(add, fill);
    for (let l = 0; l < this.nlist && !everyListChanges; l++) {
      if (add[l] === 0) continue;
      const size = this.sizes[l];
      const c = new Uint8Array(layout.bytes(size + add[l]));
      c.set(this.codes[l].subarray(0, layout.bytes(size)));
      const d = new Float64Array(size + add[l]);
      d.set(this.ids[l].subarray(0, size));
      this.codes[l] = c;
      this.ids[l] = d;
      fill[l] = size;
      this.sizes[l] = size + add[l];
    }
    for (let i = 0; i < listNos.length; i++) {
      const l = listNos[i];
      const at = fill[l]++;
      layout.put(this.codes[l], at, codes, i * cs);
      this.ids[l][at] = ids[i];
    }
  }

  /**
   * appendBatch's shared buffers: every list grows by add[l] entries, its old entries copied to the front of its
   * part of one codes buffer and one ids buffer (zeroed), in list order as sharedCopy() lays them out; fill[l] is set
   * to the old size, where the new entries go.
   */
  private appendIntoRegion(add: Int32Array, fill: Int32Array): void {
    const { layout, nlist } = this;
    const offsets = sharedArray(Int32Array, nlist + 1);
    let bytes = 0;
    for (let l = 0; l < nlist; l++) {
      offsets[l + 1] = offsets[l] + this.sizes[l] + add[l];
      bytes += layout.bytes(this.sizes[l] + add[l]);
    }
    // The codes go straight into an arena, where the scan kernels read them in place (IndexIVFPQ.scannedLists), so the
    // first search does not copy them there; past MAX_ARENA, into a SharedArrayBuffer.
    const memory = newArena(bytes);
    const codes = memory ? new Uint8Array(memory.buffer, 0, bytes) : sharedArray(Uint8Array, bytes);
    const ids = sharedArray(Float64Array, offsets[nlist]);
    let at = 0;
    for (let l = 0; l < nlist; l++) {
      const size = this.sizes[l];
      codes.set(this.codes[l].subarray(0, layout.bytes(size)), at);
      ids.set(this.ids[l].subarray(0, size), offsets[l]);
      at += layout.bytes(size + add[l]);
      fill[l] = size;
      this.sizes[l] = size + add[l];
    }
    this.viewCodes(codes, memory);
    this.viewIds(offsets, ids);
  }

  /** Bytes of every list's stored codes together. */
  codeBytes(): number {
    let b = 0;
    for (let l = 0; l < this.nlist; l++) b += this.layout.bytes(this.sizes[l]);
    return b;
  }

  /** The buffer every list's codes view now, if one does (no change since it was placed or adopted). */
  currentRegion(): CodesRegion | null {
    return this.regionVersion === this.version ? this.region : null;
  }

  /**
   * Copies every list's codes back to back into `target` (codeBytes() long) and points the lists at their part of
   * it, freeing the arrays they held (the contents and version stay). Later adds and removes give the lists they
   * change new arrays of their own, so `target` is never written again.
   */
  placeCodes(target: Uint8Array, memory?: WebAssembly.Memory): void {
    let at = 0;
    for (let l = 0; l < this.nlist; l++) {
      const bytes = this.layout.bytes(this.sizes[l]);
      target.set(this.codes[l].subarray(0, bytes), at);
      at += bytes;
    }
    this.viewCodes(target, memory);
  }

  /**
   * Every list's codes and ids back to back in shared memory, with the nlist+1 entry offsets (for worker threads).
   * The lists then view the copy themselves (same contents, so the version stays): the calling thread and the
   * workers read one copy, and the per-list arrays are freed (GloVe IVF1024,PQ50x4fs: 11 MB less at two threads).
   * Codes and ids that already lie in one shared buffer since the last change (appendBatch's, a fast-scan arena) are
   * not copied again.
   * Later adds and removes give the lists they change new arrays of their own, so the copy is never written.
   */
  sharedCopy(): { codes: Uint8Array; ids: Float64Array; offsets: Int32Array; memory?: WebAssembly.Memory } {
    const shared = this.contiguousIds();
    const placed = this.currentRegion();
    if (placed === null || !isShared(placed.codes)) this.placeCodes(sharedArray(Uint8Array, this.codeBytes()));
    const region = this.currentRegion()!;
    return { codes: region.codes, ids: shared.ids, offsets: shared.offsets, ...(region.memory ? { memory: region.memory } : {}) };
  }

  /**
   * Every list's ids back to back in one shared array (list l's from offsets[l]), which the lists then view: made
   * once per version. A search reads a result's id from it in one load; through the per-list arrays (an array
   * object, its store, then the id) a result cost one or two cache misses more (~5 µs of a 40 µs fast-scan query).
   */
  contiguousIds(): { ids: Float64Array; offsets: Int32Array } {
    if (this.idsVersion === this.version && this.idsRegion !== null) return this.idsRegion;
    const offsets = sharedArray(Int32Array, this.nlist + 1);
    for (let l = 0; l < this.nlist; l++) offsets[l + 1] = offsets[l] + this.sizes[l];
    const ids = sharedArray(Float64Array, offsets[this.nlist]);
    for (let l = 0; l < this.nlist; l++) ids.set(this.ids[l].subarray(0, this.sizes[l]), offsets[l]);
    this.viewIds(offsets, ids);
    return this.idsRegion!;
  }

  /** Points every list at its part of a region laid out as placeCodes lays it out. */
  private viewCodes(codes: Uint8Array, memory: WebAssembly.Memory | undefined): void {
    let at = 0;
    for (let l = 0; l < this.nlist; l++) {
      const bytes = this.layout.bytes(this.sizes[l]);
      this.codes[l] = bytes === 0 ? NO_CODES : codes.subarray(at, at + bytes);
      at += bytes;
    }
    this.region = { codes: codes.subarray(0, at), ...(memory ? { memory } : {}) };
    this.regionVersion = this.version;
  }

  /** Points every list at its part of shared ids laid out as sharedCopy() lays them out. */
  private viewIds(offsets: Int32Array, ids: Float64Array): void {
    for (let l = 0; l < this.nlist; l++) this.ids[l] = offsets[l + 1] === offsets[l] ? NO_IDS : ids.subarray(offsets[l], offsets[l + 1]);
    this.idsRegion = { ids, offsets };
    this.idsVersion = this.version;
  }

  /**
   * Lists viewing the buffers of a sharedCopy() (no copy: a worker's replica). Codes in a WebAssembly memory are
   * viewed through that memory's own buffer, so a kernel instantiated over it scans them in place.
   */
  adoptShared(offsets: Int32Array, codes: Uint8Array, ids: Float64Array, memory?: WebAssembly.Memory): void {
    this.version++;
    for (let l = 0; l < this.nlist; l++) this.sizes[l] = offsets[l + 1] - offsets[l];
    this.viewIds(offsets, ids);
    this.viewCodes(memory ? new Uint8Array(memory.buffer, codes.byteOffset, codes.length) : codes, memory);
  }

  /** Replaces the contents of one list (file loading), its codes in the stored layout. */
  setList(l: number, codes: Uint8Array, ids: Float64Array): void {
    // codes are in the stored layout: a reader that handed in another would corrupt every later add.
    if (codes.length !== this.layout.bytes(ids.length)) throw new Error(`InvertedLists.setList: list ${l} of ${ids.length} entries needs ${this.layout.bytes(ids.length)} bytes of ${this.layout.name} codes, got ${codes.length}`);
    this.version++;
    this.codes[l] = codes;
    this.ids[l] = ids;
    this.sizes[l] = ids.length;
  }

  reset(): void {
    this.version++;
    this.sizes.fill(0);
    for (let l = 0; l < this.nlist; l++) {
      this.codes[l] = NO_CODES;
      this.ids[l] = NO_IDS;
    }
  }

  memoryBytes(): number {
    let b = 0;
    for (let l = 0; l < this.nlist; l++) b += this.codes[l].byteLength + this.ids[l].byteLength;
    return b;
  }

  /**
   * Removes every entry whose id is in `ids`; returns how many. Lists that change get new arrays (a search on the
   * workers may still read the old ones through its snapshot, which was copied anyway).
   */
  removeIds(ids: Float64Array): number {
    const drop = new Set<number>(ids);
    const layout = this.layout;
    const entry = new Uint8Array(this.codeSize);
    let removed = 0;
    for (let l = 0; l < this.nlist; l++) {
      const size = this.sizes[l];
      const lid = this.ids[l];
      let keep = 0;
      for (let o = 0; o < size; o++) if (!drop.has(lid[o])) keep++;
      if (keep === size) continue;
      const codes = new Uint8Array(layout.bytes(keep));
      const kept = new Float64Array(keep);
      let w = 0;
      for (let o = 0; o < size; o++) {
        if (drop.has(lid[o])) continue;
        layout.get(this.codes[l], o, entry, 0);
        layout.put(codes, w, entry, 0);
        kept[w++] = lid[o];
      }
      removed += size - keep;
      this.setList(l, keep === 0 ? NO_CODES : codes, keep === 0 ? NO_IDS : kept);
    }
    return removed;
  }

  /** The codes of entry `offset` of list l, codeSize bytes, into out[at ..]. */
  readEntry(l: number, offset: number, out: Uint8Array, at = 0): void {
    this.layout.get(this.codes[l], offset, out, at);
  }

  /** List l's codes, one entry of codeSize bytes after another (flat: a view of the list; packed: unpacked, a copy). */
  readCodes(l: number): Uint8Array {
    return listEntries(this.layout, this.codes[l], this.sizes[l]);
  }

  /** Finds where an id is stored (linear in ntotal; reconstruct is not a hot path). */
  locate(id: number): { list: number; offset: number } | null {
    for (let l = 0; l < this.nlist; l++) {
      const ids = this.ids[l];
      for (let o = 0; o < this.sizes[l]; o++) if (ids[o] === id) return { list: l, offset: o };
    }
    return null;
  }
}
