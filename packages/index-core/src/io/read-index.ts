import { readFile } from 'node:fs/promises';
import { MAX_DIMENSION } from '../limits.js';
import { readFileSync } from 'node:fs';
import type { Backend } from '../backend/types.js';
import { LibvqError } from '../errors.js';
import { IndexFlat } from '../indexes/index-flat.js';
import type { IndexIVF } from '../indexes/index-ivf.js';
import { IndexIVFFlat } from '../indexes/index-ivf-flat.js';
import { IndexIVFPQ } from '../indexes/index-ivf-pq.js';
import { IndexPQ } from '../indexes/index-pq.js';
import { IndexPQFastScan } from '../indexes/index-pq-fast-scan.js';
import { IndexIVFPQFastScan } from '../indexes/index-ivf-pq-fast-scan.js';
import { BLOCK, copyBlocks, evenM, unpackBlocks } from '../fastscan/pack-blocks.js';
import { IndexPreTransform } from '../indexes/index-pretransform.js';
import type { Index } from '../indexes/index.js';
import type { Metric } from '../metric.js';
import { NormalizationTransform } from '../normalization.js';
import { OPQMatrix } from '../opq.js';
import { ProductQuantizer } from '../product-quantizer.js';
import { FaissReader } from './faiss-reader.js';
import { packedCodeSize, unpackCodes } from './pq-codes.js';
import { ListsDigest, entries, type ReadLists } from './index-digest.js';

/*
 * Reads what faiss's read_index (faiss/impl/index_read.cpp, as in Debian's 1.7.3) reads, for the index
 * types libvq has. faiss files have no checksum and no version: a file is trusted only as far as the
 * checks below go — known fourccs, every size against the bytes that remain (before allocating), every
 * value against the structure around it (d, M, nbits, nlist, code sizes, ntotal), finite floats, and no
 * trailing bytes.
 */

export interface ReadIndexOptions {
  /** Backend of the loaded index (name or object); default: the default backend. */
  backend?: string | Backend;
}

const SUPPORTED = 'IxFI, IxF2, IxFl (IndexFlat), IxPq (IndexPQ), IPfs (IndexPQFastScan), IwFl (IndexIVFFlat), IwPQ (IndexIVFPQ), IwPf (IndexIVFPQFastScan), IxPT (IndexPreTransform with LTra/OPQ and VNrm/L2norm transforms)';
/** Bounds that no sane index exceeds; they keep a corrupt field from driving huge allocations. */
const MAX_D = MAX_DIMENSION;
const MAX_NLIST_UNTRAINED = 1 << 22;
const MAX_CHAIN = 64;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const FLAT_TAGS = ['IxFI', 'IxF2', 'IxFl'];

interface Header {
  d: number;
  ntotal: number;
  isTrained: boolean;
  metric: Metric;
}

/**
 * Where the reader puts each list it reads, its codes in the list's stored layout: into the index (reading), or
 * into a digest of it (the write self-check, which then never holds a second copy of the lists). The codes may be
 * a view of the file's bytes, valid during the call only (8-bit PQ and fast-scan lists are passed that way).
 */
type ListStore = (index: IndexIVF, list: number, codes: Uint8Array, ids: Float64Array) => void;

/** Reading into the index: a list viewing the file's bytes gets its own copy (fast-scan: with the padding cleared). */
function intoIndex(file: Uint8Array): ListStore {
  return (index, l, codes, ids) => {
    const layout = index.invlists.layout;
    let own = codes;
    if (layout.name === 'packed4') own = copyBlocks(codes, ids.length, layout.codeSize);
    else if (codes.buffer === file.buffer) own = new Uint8Array(codes); // a copy (a Buffer's slice() would be a view)
    index.invlists.setList(l, own, ids);
  };
}

interface Ctx {
  r: FaissReader;
  backend?: string | Backend;
  store: ListStore;
  /** Entries an index just read holds (a wrapper's header must agree): its ntotal, or what its digested lists held. */
  held: (index: Index) => number;
}

const ntotalOf = (index: Index) => index.ntotal;

/** Runs a constructor or setter on values from the file; its errors become BAD_FILE errors that name the file. */
function build<T>(r: FaissReader, field: string, at: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LibvqError && e.code !== 'BAD_FILE' && e.code !== 'UNSUPPORTED') throw r.fail(field, at, e.message);
    throw e;
  }
}

function readHeader(r: FaissReader, where: string): Header {
  const at = r.offset;
  const d = r.i32(`${where}.d`);
  if (d < 1 || d > MAX_D) throw r.fail(`${where}.d`, at, `expected a dimension from 1 to ${MAX_D}, got ${d}`);
  const ntotal = r.int64(`${where}.ntotal`, 0, MAX_SAFE);
  r.skip(16, `${where} header (unused fields)`);
  const isTrained = r.bool(`${where}.is_trained`);
  const mAt = r.offset;
  const m = r.i32(`${where}.metric_type`);
  if (m === 0 || m === 1) return { d, ntotal, isTrained, metric: m === 0 ? 'ip' : 'l2' };
  if (m > 1 && m <= 23) {
    r.skip(4, `${where}.metric_arg`);
    throw r.unsupported(`${where}.metric_type`, mAt, `faiss metric ${m}: only METRIC_INNER_PRODUCT (0) and METRIC_L2 (1) are supported`);
  }
  throw r.fail(`${where}.metric_type`, mAt, `expected a faiss metric code, got ${m}`);
}

function readFlatBody(c: Ctx, where: string, h: Header, metricFromTag: Metric | null): IndexFlat {
  const { r } = c;
  if (metricFromTag !== null && metricFromTag !== h.metric) {
    throw r.fail(`${where}.metric_type`, r.offset, `the fourcc says ${metricFromTag}, the header says ${h.metric}`);
  }
  const at = r.offset;
  const n = r.count(`${where}.codes`, 4);
  if (n !== h.ntotal * h.d) throw r.fail(`${where}.codes`, at, `expected ntotal × d = ${h.ntotal} × ${h.d} floats, got ${n}`);
  const data = r.floats(n, `${where}.codes`);
  const index = build(r, where, at, () => new IndexFlat(h.d, h.metric, c.backend));
  if (h.ntotal > 0) build(r, where, at, () => index.addSync({ rows: h.ntotal, dim: h.d, data }));
  return index;
}

function readPQ(r: FaissReader, where: string, d: number): ProductQuantizer {
  const dAt = r.offset;
  const pd = r.int64(`${where}.d`, 0, MAX_SAFE);
  if (pd !== d) throw r.fail(`${where}.d`, dAt, `the product quantizer has d = ${pd}, the index ${d}`);
  const mAt = r.offset;
  const M = r.int64(`${where}.M`, 0, MAX_SAFE);
  if (M < 1 || M > d || d % M !== 0) throw r.fail(`${where}.M`, mAt, `expected a divisor of d = ${d}, got ${M}`);
  const bAt = r.offset;
  const nbits = r.int64(`${where}.nbits`, 0, MAX_SAFE);
  if (nbits < 1 || nbits > 24) throw r.fail(`${where}.nbits`, bAt, `expected 1 to 24 bits per code, got ${nbits}`);
  if (nbits > 8) throw r.unsupported(`${where}.nbits`, bAt, `nbits = ${nbits}: libvq supports 1 to 8 bits per sub-quantizer`);
  // The codebook size is checked against the stored count (itself checked against the bytes left) before the
  // quantizer, which allocates a codebook of that size, is built.
  const cAt = r.offset;
  const n = r.count(`${where}.centroids`, 4);
  if (n !== d * 2 ** nbits) {
    throw r.fail(`${where}.centroids`, cAt, `expected M × 2^nbits × dsub = ${M} × ${2 ** nbits} × ${d / M} floats, got ${n}`);
  }
  const pq = new ProductQuantizer(d, M, nbits);
  pq.centroids = r.floats(n, `${where}.centroids`);
  return pq;
}

function readIndexPQ(c: Ctx, where: string, h: Header): IndexPQ {
  const { r } = c;
  const pq = readPQ(r, `${where}.pq`, h.d);
  const cs = packedCodeSize(pq.M, pq.nbits);
  const at = r.offset;
  const n = r.count(`${where}.codes`, 1);
  if (n !== h.ntotal * cs) throw r.fail(`${where}.codes`, at, `expected ntotal × code_size = ${h.ntotal} × ${cs} bytes, got ${n}`);
  const codes = unpackCodes(r.bytesCopy(n, `${where}.codes`), h.ntotal, pq.M, pq.nbits);
  const stAt = r.offset;
  const searchType = r.i32(`${where}.search_type`);
  if (searchType !== 0) {
    throw r.unsupported(`${where}.search_type`, stAt, `${searchType}: only ST_PQ (0, plain asymmetric distance) is supported, not Hamming/polysemous search`);
  }
  r.bool(`${where}.encode_signs`);
  r.i32(`${where}.polysemous_ht`); // only used by polysemous search
  return fillIndexPQ(r, where, at, h, build(r, where, at, () => new IndexPQ(h.d, pq.M, pq.nbits, h.metric, c.backend)), pq, codes);
}

/** A freshly built IndexPQ (or fast-scan) gets the file's codebooks and its ntotal one-byte codes. */
function fillIndexPQ<T extends IndexPQ>(r: FaissReader, where: string, at: number, h: Header, index: T, pq: ProductQuantizer, codes: Uint8Array): T {
  index.pq.centroids = pq.centroids;
  index.pq.isTrained = h.isTrained;
  if (h.ntotal > 0) {
    if (!h.isTrained) throw r.fail(`${where}.is_trained`, at, `an untrained ${index.constructor.name} cannot hold ${h.ntotal} codes`);
    index.addEncoded({ rows: h.ntotal, codes });
  }
  return index;
}

interface IVFParts {
  quantizer: IndexFlat;
  nlist: number;
  nprobe: number;
  at: number;
}

/** The part every IVF shares: nlist, nprobe, the coarse quantizer (a nested index), the direct map. */
function readIVFHeader(c: Ctx, where: string, h: Header): IVFParts {
  const { r } = c;
  const at = r.offset;
  const nlist = r.int64(`${where}.nlist`, 1, 0x7fffffff);
  const nprobe = r.int64(`${where}.nprobe`, 1, 0x7fffffff);
  const qAt = r.offset;
  // Checked before recursing, so a corrupt file cannot nest IVF indexes until the stack overflows.
  const qTag = r.peekFourcc();
  if (qTag !== '' && !FLAT_TAGS.includes(qTag)) {
    throw r.unsupported(`${where}.quantizer`, qAt, `coarse quantizer "${printable(qTag)}": only flat quantizers (IxFI/IxF2) are supported`);
  }
  const quantizer = readAny(c, `${where}.quantizer`);
  if (!(quantizer instanceof IndexFlat)) {
    throw r.unsupported(`${where}.quantizer`, qAt, `${quantizer.constructor.name}: only flat coarse quantizers (IxFI/IxF2) are supported`);
  }
  if (quantizer.d !== h.d) throw r.fail(`${where}.quantizer.d`, qAt, `the quantizer has d = ${quantizer.d}, the index ${h.d}`);
  if (quantizer.metric !== h.metric) {
    throw r.unsupported(`${where}.quantizer`, qAt, `the quantizer uses ${quantizer.metric}, the IVF index ${h.metric}; libvq assigns lists with the index metric`);
  }
  if (quantizer.ntotal !== nlist && (quantizer.ntotal !== 0 || h.isTrained)) {
    throw r.fail(`${where}.quantizer.ntotal`, qAt, `expected nlist = ${nlist} centroids${h.isTrained ? '' : ' (or 0, untrained)'}, got ${quantizer.ntotal}`);
  }
  if (quantizer.ntotal === 0 && nlist > MAX_NLIST_UNTRAINED) {
    throw r.fail(`${where}.nlist`, at, `${nlist} lists in an untrained index exceeds the sanity bound ${MAX_NLIST_UNTRAINED}`);
  }
  readDirectMap(r, `${where}.direct_map`);
  return { quantizer, nlist, nprobe, at };
}

/** Reads the lists into a freshly built IVF index and checks them against the header. */
function readIVFLists<T extends IndexIVF>(r: FaissReader, where: string, h: Header, p: IVFParts, index: T, readLists: (where: string) => number): T {
  index.nprobe = p.nprobe;
  const listsAt = r.offset;
  const stored = readLists(`${where}.invlists`);
  if (stored !== h.ntotal) throw r.fail(`${where}.ntotal`, p.at, `the header says ${h.ntotal} vectors, the inverted lists hold ${stored}`);
  if (stored > 0 && !h.isTrained) throw r.fail(`${where}.is_trained`, listsAt, `an untrained index cannot hold ${stored} vectors`);
  return index;
}

/**
 * faiss's DirectMap (id → list/offset): a type byte (0 none, 1 array, 2 hash table), an id array and, for
 * the hash table, (id, offset) pairs. libvq locates ids by scanning the lists, so the map is checked and
 * dropped (a file re-written here stores none: faiss rebuilds it with make_direct_map when asked).
 */
function readDirectMap(r: FaissReader, where: string): void {
  const at = r.offset;
  const type = r.u8(`${where}.type`);
  if (type > 2) throw r.fail(`${where}.type`, at, `expected 0 (none), 1 (array) or 2 (hash table), got ${type}`);
  r.skip(8 * r.count(`${where}.array`, 8), `${where}.array`);
  if (type === 2) r.skip(16 * r.count(`${where}.hashtable`, 16), `${where}.hashtable`);
}

/**
 * faiss's ArrayInvertedLists ("ilar"): nlist, code_size, list sizes ("full": all nlist of them; "sprs":
 * (list, size) pairs), then codes and int64 ids of every non-empty list in order. Returns the entries read.
 */
function readInvertedLists(r: FaissReader, where: string, index: IndexIVF, codeSize: number, readCodes: (n: number, field: string) => Uint8Array, store: ListStore): number {
  const at = r.offset;
  const tag = r.fourcc(`${where} fourcc`);
  if (tag === 'il00') throw r.unsupported(where, at, 'the file stores no inverted lists ("il00", lists kept outside the index)');
  if (tag !== 'ilar') throw r.unsupported(where, at, `inverted lists of type "${printable(tag)}": only in-memory lists "ilar" are supported`);
  const nlist = index.nlist;
  const nAt = r.offset;
  const n = r.int64(`${where}.nlist`, 0, MAX_SAFE);
  if (n !== nlist) throw r.fail(`${where}.nlist`, nAt, `expected the index's nlist = ${nlist}, got ${n}`);
  const cAt = r.offset;
  const cs = r.int64(`${where}.code_size`, 0, MAX_SAFE);
  if (cs !== codeSize) throw r.fail(`${where}.code_size`, cAt, `expected ${codeSize} bytes per entry, got ${cs}`);
  const sizes = readListSizes(r, where, nlist);
  let total = 0;
  for (let l = 0; l < nlist; l++) total += sizes[l];
  if (total * (cs + 8) > r.remaining) {
    throw new LibvqError(
      'BAD_FILE',
      `${r.name}: truncated at byte ${r.bytes.length} while reading ${where}: the list sizes declare ${total} entries × ${cs + 8} bytes, only ${r.remaining} remain (truncated or corrupt file)`,
    );
  }
  for (let l = 0; l < nlist; l++) {
    const s = sizes[l];
    if (s === 0) continue;
    const codes = readCodes(s, `${where} list ${l} codes`);
    const ids = r.ids(s, `${where} list ${l} ids`);
    store(index, l, codes, ids);
  }
  return total;
}

function readListSizes(r: FaissReader, where: string, nlist: number): Float64Array {
  const at = r.offset;
  const type = r.fourcc(`${where} list size format`);
  const sizes = new Float64Array(nlist);
  const vAt = r.offset;
  if (type === 'full') {
    const n = r.count(`${where}.sizes`, 8);
    if (n !== nlist) throw r.fail(`${where}.sizes`, vAt, `expected ${nlist} list sizes, got ${n}`);
    for (let l = 0; l < nlist; l++) sizes[l] = r.int64(`${where} size of list ${l}`, 0, 0x7fffffff);
  } else if (type === 'sprs') {
    const n = r.count(`${where}.sizes`, 8);
    if (n % 2 !== 0) throw r.fail(`${where}.sizes`, vAt, `expected (list, size) pairs, got ${n} values`);
    for (let i = 0; i < n; i += 2) {
      const l = r.int64(`${where} sparse list number`, 0, nlist - 1);
      sizes[l] = r.int64(`${where} size of list ${l}`, 0, 0x7fffffff);
    }
  } else {
    throw r.fail(`${where} list size format`, at, `expected "full" or "sprs", got "${printable(type)}"`);
  }
  return sizes;
}

function readIVFFlat(c: Ctx, where: string, h: Header): IndexIVFFlat {
  const { r } = c;
  const p = readIVFHeader(c, where, h);
  const index = build(r, where, p.at, () => new IndexIVFFlat(h.d, p.nlist, h.metric, c.backend, p.quantizer));
  // List entries are raw float32 vectors; reading them as floats checks they are finite.
  return readIVFLists(r, where, h, p, index, (w) => readInvertedLists(r, w, index, h.d * 4, (n, field) => new Uint8Array(r.floats(n * h.d, field).buffer), c.store));
}

function readIVFPQ(c: Ctx, where: string, h: Header): IndexIVFPQ {
  const { r } = c;
  const p = readIVFHeader(c, where, h);
  const rAt = r.offset;
  if (!r.bool(`${where}.by_residual`)) throw r.unsupported(`${where}.by_residual`, rAt, 'IVF-PQ without residual encoding is not supported');
  const csAt = r.offset;
  const cs = r.int64(`${where}.code_size`, 0, MAX_SAFE);
  const pq = readPQ(r, `${where}.pq`, h.d);
  const { M, nbits } = pq;
  if (cs !== packedCodeSize(M, nbits)) throw r.fail(`${where}.code_size`, csAt, `expected ceil(M × nbits / 8) = ${packedCodeSize(M, nbits)}, got ${cs}`);
  const index = build(r, where, p.at, () => new IndexIVFPQ(h.d, p.nlist, M, nbits, h.metric, c.backend, p.quantizer));
  index.pq.centroids = pq.centroids;
  index.pq.isTrained = h.isTrained;
  return readIVFLists(r, where, h, p, index, (w) => readInvertedLists(r, w, index, cs, (n, field) => unpackCodes(r.bytesView(n * cs, field), n, M, nbits), c.store));
}

/** A fast-scan PQ must have 4-bit codes; returns M2 (M rounded up to even, faiss's padded sub-quantizer count). */
function checkFastScanPQ(r: FaissReader, where: string, pq: ProductQuantizer, at: number): number {
  if (pq.nbits !== 4) throw r.fail(`${where}.pq.nbits`, at, `fast-scan codes are 4-bit, got nbits = ${pq.nbits}`);
  return evenM(pq.M);
}

/** faiss's block size (bbs): libvq reads and writes blocks of 32 codes, faiss's default. */
function readBlockSize(r: FaissReader, where: string): void {
  const at = r.offset;
  const bbs = r.i32(`${where}.bbs`);
  if (bbs !== BLOCK) throw r.unsupported(`${where}.bbs`, at, `blocks of ${bbs} codes: libvq reads fast-scan blocks of ${BLOCK} (faiss's default bbs)`);
}

/**
 * faiss's IndexPQFastScan ("IPfs"): the PQ, implem, bbs, qbs, ntotal2 (ntotal rounded up to bbs), M2, then the
 * codes in the block layout (ntotal2 · M2 / 2 bytes), unpacked here to one byte per sub-quantizer.
 */
function readIndexPQFastScan(c: Ctx, where: string, h: Header): IndexPQFastScan {
  const { r } = c;
  const pqAt = r.offset;
  const pq = readPQ(r, `${where}.pq`, h.d);
  const M2 = checkFastScanPQ(r, where, pq, pqAt);
  r.i32(`${where}.implem`); // faiss's kernel choice; libvq has one kernel
  readBlockSize(r, where);
  r.i32(`${where}.qbs`);
  const n2At = r.offset;
  const ntotal2 = r.int64(`${where}.ntotal2`, 0, MAX_SAFE);
  if (ntotal2 !== Math.ceil(h.ntotal / BLOCK) * BLOCK) throw r.fail(`${where}.ntotal2`, n2At, `expected ntotal = ${h.ntotal} rounded up to ${BLOCK}, got ${ntotal2}`);
  const mAt = r.offset;
  const m2 = r.int64(`${where}.M2`, 0, MAX_SAFE);
  if (m2 !== M2) throw r.fail(`${where}.M2`, mAt, `expected M = ${pq.M} rounded up to even (${M2}), got ${m2}`);
  const at = r.offset;
  const n = r.count(`${where}.codes`, 1);
  if (n !== (ntotal2 * M2) / 2) throw r.fail(`${where}.codes`, at, `expected ntotal2 × M2 / 2 = ${(ntotal2 * M2) / 2} bytes, got ${n}`);
  const codes = unpackBlocks(r.bytesView(n, `${where}.codes`), h.ntotal, pq.M);
  return fillIndexPQ(r, where, at, h, build(r, where, at, () => new IndexPQFastScan(h.d, pq.M, h.metric, c.backend)), pq, codes);
}

/**
 * faiss's IndexIVFPQFastScan ("IwPf"): the IVF header, by_residual, code_size (M2 / 2), bbs, M2, implem, qbs2,
 * the PQ, then BlockInvertedLists ("ilbl").
 */
function readIVFPQFastScan(c: Ctx, where: string, h: Header): IndexIVFPQFastScan {
  const { r } = c;
  const p = readIVFHeader(c, where, h);
  const byResidual = r.bool(`${where}.by_residual`);
  const csAt = r.offset;
  const cs = r.int64(`${where}.code_size`, 0, MAX_SAFE);
  readBlockSize(r, where);
  const mAt = r.offset;
  const m2 = r.int64(`${where}.M2`, 0, MAX_SAFE);
  r.i32(`${where}.implem`);
  r.int64(`${where}.qbs2`, 0, MAX_SAFE);
  const pqAt = r.offset;
  const pq = readPQ(r, `${where}.pq`, h.d);
  const M2 = checkFastScanPQ(r, where, pq, pqAt);
  if (m2 !== M2) throw r.fail(`${where}.M2`, mAt, `expected M = ${pq.M} rounded up to even (${M2}), got ${m2}`);
  if (cs !== M2 / 2) throw r.fail(`${where}.code_size`, csAt, `expected M2 / 2 = ${M2 / 2}, got ${cs}`);
  const index = build(r, where, p.at, () => new IndexIVFPQFastScan(h.d, p.nlist, pq.M, h.metric, c.backend, p.quantizer, byResidual));
  index.pq.centroids = pq.centroids;
  index.pq.isTrained = h.isTrained;
  return readIVFLists(r, where, h, p, index, (w) => readBlockInvertedLists(r, w, index, pq.M, c.store));
}

/**
 * faiss's BlockInvertedLists ("ilbl"): nlist, code_size (−1: not per-vector), n_per_block (32), block_size
 * (16·M2 bytes), then per list its ids and its ⌈n/32⌉ blocks, each a size-prefixed vector.
 */
function readBlockInvertedLists(r: FaissReader, where: string, index: IndexIVF, M: number, store: ListStore): number {
  const at = r.offset;
  const tag = r.fourcc(`${where} fourcc`);
  if (tag !== 'ilbl') throw r.fail(where, at, `a fast-scan index stores block inverted lists "ilbl", got "${printable(tag)}"`);
  const nAt = r.offset;
  const n = r.int64(`${where}.nlist`, 0, MAX_SAFE);
  if (n !== index.nlist) throw r.fail(`${where}.nlist`, nAt, `expected the index's nlist = ${index.nlist}, got ${n}`);
  const cAt = r.offset;
  const cs = r.int64(`${where}.code_size`, -1, MAX_SAFE);
  if (cs !== -1) throw r.fail(`${where}.code_size`, cAt, `expected faiss's INVALID_CODE_SIZE (-1) for block lists, got ${cs}`);
  const pAt = r.offset;
  const perBlock = r.int64(`${where}.n_per_block`, 0, MAX_SAFE);
  if (perBlock !== BLOCK) throw r.unsupported(`${where}.n_per_block`, pAt, `blocks of ${perBlock} codes: libvq reads blocks of ${BLOCK}`);
  const bAt = r.offset;
  const blockSize = r.int64(`${where}.block_size`, 0, MAX_SAFE);
  if (blockSize !== 16 * evenM(M)) throw r.fail(`${where}.block_size`, bAt, `expected 32 codes × M2 / 2 = ${16 * evenM(M)} bytes, got ${blockSize}`);
  let total = 0;
  for (let l = 0; l < index.nlist; l++) {
    const size = r.count(`${where} list ${l} ids`, 8);
    const ids = r.ids(size, `${where} list ${l} ids`);
    const cAt2 = r.offset;
    const bytes = r.count(`${where} list ${l} codes`, 1);
    if (bytes !== Math.ceil(size / BLOCK) * blockSize) throw r.fail(`${where} list ${l} codes`, cAt2, `expected ⌈${size} / ${BLOCK}⌉ blocks of ${blockSize} bytes, got ${bytes} bytes`);
    if (size === 0) continue;
    // A view: reading into an index copies it with the padding cleared (intoIndex), the write self-check only hashes it.
    store(index, l, r.bytesView(bytes, `${where} list ${l} codes`), ids);
    total += size;
  }
  return total;
}

/** A LinearTransform ("LTra", how faiss stores OPQ) as an OPQMatrix; M is set by the caller. */
function readLinearTransform(r: FaissReader, where: string): { A: Float32Array; dIn: number; dOut: number; isTrained: boolean; at: number } {
  const at = r.offset;
  const tag = r.fourcc(`${where} fourcc`);
  if (tag !== 'LTra') {
    throw r.unsupported(where, at, `transform "${printable(tag)}": only LinearTransform "LTra" (how faiss writes OPQMatrix) and NormalizationTransform "VNrm" are supported`);
  }
  const bAt = r.offset;
  const haveBias = r.bool(`${where}.have_bias`);
  if (haveBias) throw r.unsupported(`${where}.have_bias`, bAt, 'a linear transform with a bias is not an OPQ rotation');
  const aAt = r.offset;
  const nA = r.count(`${where}.A`, 4);
  const A = r.floats(nA, `${where}.A`);
  // b is unused without have_bias (faiss ignores it too).
  r.floats(r.count(`${where}.b`, 4), `${where}.b`);
  const dAt = r.offset;
  const dIn = r.i32(`${where}.d_in`);
  const dOut = r.i32(`${where}.d_out`);
  const isTrained = r.bool(`${where}.is_trained`);
  if (dIn < 1 || dIn > MAX_D || dOut < 1 || dOut > MAX_D) throw r.fail(`${where}.d_in/d_out`, dAt, `expected dimensions from 1 to ${MAX_D}, got ${dIn} → ${dOut}`);
  if (nA !== dIn * dOut) throw r.fail(`${where}.A`, aAt, `expected d_out × d_in = ${dOut} × ${dIn} floats, got ${nA}`);
  if (dOut > dIn) throw r.unsupported(where, dAt, `a ${dIn} → ${dOut} transform: OPQ may keep or reduce the dimension (d_out ≤ d_in), not widen it`);
  return { A, dIn, dOut, isTrained, at };
}

/**
 * A NormalizationTransform ("VNrm": its norm, then VectorTransform's d_in, d_out, is_trained). faiss applies only
 * norm = 2 (L2norm); it has nothing to learn, so an untrained one is refused too (faiss never writes one).
 */
function readNormalization(r: FaissReader, where: string): { kind: 'l2norm'; d: number; at: number } {
  const at = r.offset;
  r.fourcc(`${where} fourcc`);
  const nAt = r.offset;
  const norm = r.floats(1, `${where}.norm`)[0];
  if (norm !== 2) throw r.unsupported(`${where}.norm`, nAt, `a ${norm}-norm normalisation: only the L2 norm (2, faiss's L2norm) is supported`);
  const dAt = r.offset;
  const dIn = r.i32(`${where}.d_in`);
  const dOut = r.i32(`${where}.d_out`);
  if (dIn < 1 || dIn > MAX_D || dOut !== dIn) throw r.fail(`${where}.d_in/d_out`, dAt, `expected d_in = d_out from 1 to ${MAX_D}, got ${dIn} → ${dOut}`);
  const tAt = r.offset;
  if (!r.bool(`${where}.is_trained`)) throw r.fail(`${where}.is_trained`, tAt, 'expected true (a normalisation has nothing to train)');
  return { kind: 'l2norm', d: dIn, at };
}

function readTransform(r: FaissReader, where: string) {
  return r.peekFourcc() === 'VNrm' ? readNormalization(r, where) : { kind: 'linear' as const, ...readLinearTransform(r, where) };
}

function readPreTransform(c: Ctx, where: string, h: Header): IndexPreTransform {
  const { r } = c;
  const ntAt = r.offset;
  const nt = r.i32(`${where}.chain length`);
  if (nt < 1 || nt > MAX_CHAIN) throw r.fail(`${where}.chain length`, ntAt, `expected 1 to ${MAX_CHAIN} transforms, got ${nt}`);
  const raw = [];
  for (let i = 0; i < nt; i++) raw.push(readTransform(r, `${where}.chain[${i}]`));
  const iAt = r.offset;
  if (r.peekFourcc() === 'IxPT') throw r.unsupported(`${where}.index`, iAt, 'an IndexPreTransform nested in another');
  const inner = readAny(c, `${where}.index`);
  // faiss does not store OPQ's M (it only shapes training); take the code's M when it divides d.
  const innerM = inner instanceof IndexPQ || inner instanceof IndexIVFPQ ? inner.pq.M : 1;
  const chain = raw.map((t) =>
    build(r, where, t.at, () => {
      if (t.kind === 'l2norm') return new NormalizationTransform(t.d);
      const opq = new OPQMatrix(t.dIn, t.dOut % innerM === 0 ? innerM : 1, t.dOut);
      opq.A = t.A;
      opq.isTrained = t.isTrained;
      return opq;
    }),
  );
  const index = build(r, where, ntAt, () => new IndexPreTransform(chain, inner));
  if (index.d !== h.d) throw r.fail(`${where}.d`, ntAt, `the header says d = ${h.d}, the first transform takes ${index.d}`);
  if (inner.metric !== h.metric) throw r.fail(`${where}.metric_type`, ntAt, `the header says ${h.metric}, the wrapped index uses ${inner.metric}`);
  if (c.held(inner) !== h.ntotal) throw r.fail(`${where}.ntotal`, ntAt, `the header says ${h.ntotal}, the wrapped index holds ${c.held(inner)}`);
  return index;
}

function readAny(c: Ctx, where: string): Index {
  const { r } = c;
  const at = r.offset;
  const tag = r.fourcc(`${where} fourcc`);
  const known = ['IxFI', 'IxF2', 'IxFl', 'IxPq', 'IPfs', 'IwFl', 'IwPQ', 'IwPf', 'IxPT', 'IxMp'];
  if (!known.includes(tag)) {
    throw new LibvqError(
      'BAD_FILE',
      `${r.name}: ${where} (byte ${at}): unknown or unsupported index type "${printable(tag)}"; supported: ${SUPPORTED}`,
    );
  }
  const h = readHeader(r, where);
  switch (tag) {
    case 'IxFI':
      return readFlatBody(c, where, h, 'ip');
    case 'IxF2':
      return readFlatBody(c, where, h, 'l2');
    case 'IxFl':
      return readFlatBody(c, where, h, null);
    case 'IxPq':
      return readIndexPQ(c, where, h);
    case 'IwFl':
      return readIVFFlat(c, where, h);
    case 'IwPQ':
      return readIVFPQ(c, where, h);
    case 'IPfs':
      return readIndexPQFastScan(c, where, h);
    case 'IwPf':
      return readIVFPQFastScan(c, where, h);
    case 'IxMp':
      return readIdMap(c, where, h);
    default:
      return readPreTransform(c, where, h);
  }
}

/** faiss's IndexIDMap ("IxMp") around a Flat or PQ index: the index, then its int64 ids, one per entry. */
function readIdMap(c: Ctx, where: string, h: Header): Index {
  const { r } = c;
  const innerAt = r.offset;
  const inner = readAny(c, `${where}.index`);
  if (!(inner instanceof IndexFlat || inner instanceof IndexPQ)) {
    throw r.unsupported(`${where}.index`, innerAt, `an IndexIDMap around ${inner.constructor.name}: only IndexFlat, IndexPQ and IndexPQFastScan are supported inside one (IVF indexes store their own ids)`);
  }
  if (c.held(inner) !== h.ntotal || inner.d !== h.d || inner.metric !== h.metric) {
    throw r.fail(`${where}.index`, innerAt, `the wrapped index (d ${inner.d}, ntotal ${c.held(inner)}, ${inner.metric}) differs from the IndexIDMap header (d ${h.d}, ntotal ${h.ntotal}, ${h.metric})`);
  }
  const at = r.offset;
  const n = r.count(`${where}.id_map`, 8);
  if (n !== h.ntotal) throw r.fail(`${where}.id_map`, at, `expected ntotal = ${h.ntotal} ids, got ${n}`);
  const ids = r.ids(n, `${where}.id_map`);
  if (new Set(ids).size !== n) throw r.fail(`${where}.id_map`, at, 'an id appears twice (libvq keeps ids unique, so remove and reconstruct are unambiguous)');
  inner.idMap.adopt(ids);
  return inner;
}

function printable(tag: string): string {
  return tag.replace(/[^\x20-\x7e]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Parses a faiss index file's bytes (what faiss.serialize_index returns). `name` labels error messages. */
export function deserializeIndex(bytes: Uint8Array, opts: ReadIndexOptions & { name?: string } = {}): Index {
  const r = new FaissReader(bytes, opts.name ?? '<faiss index bytes>');
  const index = readAny({ r, backend: opts.backend, store: intoIndex(bytes), held: ntotalOf }, 'index');
  r.end();
  return index;
}

/**
 * Reads bytes as deserializeIndex does — every field checked — but digests each IVF list as it is read instead of
 * keeping it: the index comes back with empty lists, and `lists` stands in for them in indexDigest. What the write
 * self-check uses, so writing an index never holds a second copy of its lists.
 */
export function deserializeDigestingLists(bytes: Uint8Array, opts: ReadIndexOptions & { name?: string } = {}): { index: Index; lists: ReadLists } {
  const r = new FaissReader(bytes, opts.name ?? '<faiss index bytes>');
  const lists = new Map<IndexIVF, ListsDigest>();
  const store: ListStore = (index, l, codes, ids) => {
    let d = lists.get(index);
    if (d === undefined) lists.set(index, (d = new ListsDigest(index.nlist)));
    d.add(l, index.invlists.layout, codes, ids);
  };
  const index = readAny({ r, backend: opts.backend, store, held: (x) => entries(x, lists) }, 'index');
  r.end();
  return { index, lists };
}

/**
 * Reads a file written by faiss.write_index (or writeIndex). The file is read without blocking the event loop;
 * parsing is a pass over the bytes on the calling thread (about 1 s per GB).
 */
export async function readIndex(path: string, opts: ReadIndexOptions = {}): Promise<Index> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new LibvqError('IO', `${path}: cannot read the index file: ${(e as Error).message}`, { cause: e });
  }
  return deserializeIndex(bytes, { ...opts, name: path });
}

/** readIndex, blocking (scripts). */
export function readIndexSync(path: string, opts: ReadIndexOptions = {}): Index {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new LibvqError('IO', `${path}: cannot read the index file: ${(e as Error).message}`, { cause: e });
  }
  return deserializeIndex(bytes, { ...opts, name: path });
}
