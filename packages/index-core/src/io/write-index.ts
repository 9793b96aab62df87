import { readFileSync } from 'node:fs';
import { LibvqError } from '../errors.js';
import { IndexFlat } from '../indexes/index-flat.js';
import type { IndexIVF } from '../indexes/index-ivf.js';
import { IndexIVFFlat } from '../indexes/index-ivf-flat.js';
import { IndexIVFPQ } from '../indexes/index-ivf-pq.js';
import { IndexPQ } from '../indexes/index-pq.js';
import { IndexPQFastScan } from '../indexes/index-pq-fast-scan.js';
import { IndexIVFPQFastScan } from '../indexes/index-ivf-pq-fast-scan.js';
import { BLOCK, evenM } from '../fastscan/pack-blocks.js';
import { IndexPreTransform } from '../indexes/index-pretransform.js';
import type { Index } from '../indexes/index.js';
import { type Metric, metricToFaiss } from '../metric.js';
import { NormalizationTransform } from '../normalization.js';
import { OPQMatrix } from '../opq.js';
import type { ProductQuantizer } from '../product-quantizer.js';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
import { FaissWriter, concatChunks } from './faiss-writer.js';
import { indexDigest } from './index-digest.js';
import { packCodes, packedCodeSize } from './pq-codes.js';
import { deserializeDigestingLists } from './read-index.js';

/*
 * Writes exactly what faiss's write_index (faiss/impl/index_write.cpp, as in Debian's 1.7.3) writes for
 * the same structure, field for field, so that faiss reads our files and a file faiss wrote comes back
 * byte-identical after a read and a write here.
 */

/** faiss writes this into the two unused header fields (formerly the "dummy" ntotal/metric slots). */
const HEADER_DUMMY = 1 << 20;

function writeHeader(w: FaissWriter, d: number, ntotal: number, isTrained: boolean, metric: Metric): void {
  w.i32(d);
  w.int64(ntotal);
  w.int64(HEADER_DUMMY);
  w.int64(HEADER_DUMMY);
  w.bool(isTrained);
  w.i32(metricToFaiss(metric)); // metric_arg follows only for metrics > 1, which libvq does not have
}

function writeFlat(w: FaissWriter, index: IndexFlat): void {
  w.fourcc(index.metric === 'ip' ? 'IxFI' : 'IxF2');
  writeHeader(w, index.d, index.ntotal, true, index.metric);
  // faiss's "xb vector": its size field counts floats, not bytes.
  w.floatVector(index.vectors.data);
}

function writePQ(w: FaissWriter, pq: ProductQuantizer): void {
  w.int64(pq.d);
  w.int64(pq.M);
  w.int64(pq.nbits);
  w.floatVector(pq.centroids);
}

function writeIndexPQ(w: FaissWriter, index: IndexPQ): void {
  const { M, nbits } = index.pq;
  w.fourcc('IxPq');
  writeHeader(w, index.d, index.ntotal, index.isTrained, index.metric);
  writePQ(w, index.pq);
  w.int64(index.ntotal * packedCodeSize(M, nbits));
  w.raw(packCodes(index.codes, index.ntotal, M, nbits));
  w.i32(0); // search_type = ST_PQ (plain ADC), the only search libvq does
  w.bool(false); // encode_signs
  w.i32(nbits * M + 1); // polysemous_ht: faiss's IndexPQ constructor default
}

/** faiss's IndexPQFastScan ("IPfs"): the PQ, implem 0 (auto), bbs 32, qbs 0, ntotal2, M2, the codes in blocks. */
function writeIndexPQFastScan(w: FaissWriter, index: IndexPQFastScan): void {
  const M2 = evenM(index.pq.M);
  const blocks = index.packedLists().blocks[0];
  w.fourcc('IPfs');
  writeHeader(w, index.d, index.ntotal, index.isTrained, index.metric);
  writePQ(w, index.pq);
  w.i32(0); // implem: faiss picks its kernel
  w.i32(BLOCK); // bbs
  w.i32(0); // qbs: faiss's default
  w.int64(Math.ceil(index.ntotal / BLOCK) * BLOCK); // ntotal2
  w.int64(M2);
  w.int64(blocks.length);
  w.raw(blocks);
}

/** faiss's IndexIVFPQFastScan ("IwPf") with its BlockInvertedLists ("ilbl"). */
function writeIVFPQFastScan(w: FaissWriter, index: IndexIVFPQFastScan): void {
  const M2 = evenM(index.pq.M);
  writeIVFHeader(w, 'IwPf', index);
  w.bool(index.byResidual);
  w.int64(M2 / 2); // code_size
  w.i32(BLOCK); // bbs
  w.int64(M2);
  w.i32(0); // implem
  w.int64(0); // qbs2
  writePQ(w, index.pq);
  const il = index.invlists;
  w.fourcc('ilbl');
  w.int64(il.nlist);
  w.int64(-1); // code_size: faiss's INVALID_CODE_SIZE for block lists
  w.int64(BLOCK); // n_per_block
  w.int64(16 * M2); // block_size
  for (let l = 0; l < il.nlist; l++) {
    const n = il.sizes[l];
    w.int64(n);
    w.ids(il.ids[l], n);
    // The lists keep faiss's block layout (code-layout.ts packed4): written as they are.
    w.int64(il.codes[l].length);
    w.raw(il.codes[l]);
  }
}

function writeIVFHeader(w: FaissWriter, fourcc: string, index: IndexIVF): void {
  w.fourcc(fourcc);
  writeHeader(w, index.d, index.ntotal, index.isTrained, index.metric);
  w.int64(index.nlist);
  w.int64(index.nprobe);
  writeFlat(w, index.quantizer);
  // Direct map (faiss ≥ 1.6): type byte NoMap, then an empty id array. libvq finds ids by scanning.
  w.u8(0);
  w.int64(0);
}

/** faiss's ArrayInvertedLists ("ilar"), list codes re-encoded through pack (identity for raw codes). */
function writeInvertedLists(w: FaissWriter, index: IndexIVF, codeSize: number, pack: (codes: Uint8Array, n: number) => Uint8Array): void {
  const il = index.invlists;
  const nlist = il.nlist;
  w.fourcc('ilar');
  w.int64(nlist);
  w.int64(codeSize);
  let nonEmpty = 0;
  for (let l = 0; l < nlist; l++) if (il.sizes[l] > 0) nonEmpty++;
  // faiss's rule: "full" (all nlist sizes) when more than half the lists hold entries, else "sprs"
  // (list number, size) pairs for the non-empty lists only.
  if (nonEmpty > Math.floor(nlist / 2)) {
    w.fourcc('full');
    w.int64(nlist);
    for (let l = 0; l < nlist; l++) w.int64(il.sizes[l]);
  } else {
    w.fourcc('sprs');
    w.int64(2 * nonEmpty);
    for (let l = 0; l < nlist; l++) {
      if (il.sizes[l] === 0) continue;
      w.int64(l);
      w.int64(il.sizes[l]);
    }
  }
  for (let l = 0; l < nlist; l++) {
    const n = il.sizes[l];
    if (n === 0) continue;
    w.raw(pack(il.codes[l], n));
    w.ids(il.ids[l], n);
  }
}

function writeIVFFlat(w: FaissWriter, index: IndexIVFFlat): void {
  writeIVFHeader(w, 'IwFl', index);
  const cs = index.d * 4;
  writeInvertedLists(w, index, cs, (codes, n) => codes.subarray(0, n * cs));
}

function writeIVFPQ(w: FaissWriter, index: IndexIVFPQ): void {
  const { M, nbits } = index.pq;
  writeIVFHeader(w, 'IwPQ', index);
  w.bool(true); // by_residual: libvq's IVF-PQ always encodes residuals
  w.int64(packedCodeSize(M, nbits));
  writePQ(w, index.pq);
  writeInvertedLists(w, index, packedCodeSize(M, nbits), (codes, n) => packCodes(codes, n, M, nbits));
}

/** faiss has no OPQ tag in its files: an OPQMatrix is written as a generic LinearTransform "LTra". */
function writeOPQ(w: FaissWriter, t: OPQMatrix): void {
  w.fourcc('LTra');
  w.bool(false); // have_bias
  w.floatVector(t.A);
  w.int64(0); // b: empty
  w.i32(t.dIn);
  w.i32(t.dOut);
  w.bool(t.isTrained);
}

/** faiss's NormalizationTransform ("VNrm"): the norm (2), then the VectorTransform header. */
function writeNormalization(w: FaissWriter, t: NormalizationTransform): void {
  w.fourcc('VNrm');
  w.floats(new Float32Array([t.norm]));
  w.i32(t.dIn);
  w.i32(t.dOut);
  w.bool(t.isTrained);
}

function writePreTransform(w: FaissWriter, index: IndexPreTransform): void {
  w.fourcc('IxPT');
  writeHeader(w, index.d, index.ntotal, index.isTrained, index.metric);
  w.i32(index.chain.length);
  for (const t of index.chain) {
    if (t instanceof NormalizationTransform) writeNormalization(w, t);
    else if (t instanceof OPQMatrix) writeOPQ(w, t);
    else throw new LibvqError('UNSUPPORTED', `writeIndex: transform ${t.constructor.name} cannot be written to a faiss file (only OPQMatrix and NormalizationTransform)`);
  }
  writeAny(w, index.index);
}

/**
 * A Flat or PQ index whose ids are not its positions (addWithIds, or ids kept across remove) is written as faiss
 * writes an IndexIDMap around it: "IxMp", the header, the index, then its int64 ids (a size-prefixed vector).
 */
function writeIdMap(w: FaissWriter, index: IndexFlat | IndexPQ): void {
  w.fourcc('IxMp');
  writeHeader(w, index.d, index.ntotal, index.isTrained, index.metric);
  if (index instanceof IndexFlat) writeFlat(w, index);
  else if (index instanceof IndexPQFastScan) writeIndexPQFastScan(w, index);
  else writeIndexPQ(w, index);
  w.int64(index.ntotal);
  w.ids(index.idMap.all(), index.ntotal);
}

function writeAny(w: FaissWriter, index: Index): void {
  if ((index instanceof IndexFlat || index instanceof IndexPQ) && !index.idMap.sequential) writeIdMap(w, index);
  else if (index instanceof IndexPreTransform) writePreTransform(w, index);
  else if (index instanceof IndexFlat) writeFlat(w, index);
  else if (index instanceof IndexPQFastScan) writeIndexPQFastScan(w, index);
  else if (index instanceof IndexPQ) writeIndexPQ(w, index);
  else if (index instanceof IndexIVFPQFastScan) writeIVFPQFastScan(w, index);
  else if (index instanceof IndexIVFPQ) writeIVFPQ(w, index);
  else if (index instanceof IndexIVFFlat) writeIVFFlat(w, index);
  else {
    throw new LibvqError(
      'UNSUPPORTED',
      `writeIndex: ${(index as object)?.constructor?.name ?? typeof index} cannot be written to a faiss file (supported: IndexFlat, IndexPQ, IndexPQFastScan, IndexIVFFlat, IndexIVFPQ, IndexIVFPQFastScan, IndexPreTransform)`,
    );
  }
}

function serializeChunks(index: Index): Uint8Array[] {
  const w = new FaissWriter();
  writeAny(w, index);
  return w.finish();
}

/**
 * The self-check behind every write: the bytes are read back with libvq's own (validating) reader and the
 * result must hold exactly what `index` holds (indexDigest). A writer bug then fails here, loudly, instead
 * of producing a file that faiss or libvq cannot open later. The lists read back are digested as they are read,
 * never kept (deserializeDigestingLists): the check costs one read of the file and two hashes, not a second index.
 */
export function verifyReadsBack(index: Index, bytes: Uint8Array, name: string): void {
  const expected = indexDigest(index);
  let back: ReturnType<typeof deserializeDigestingLists>;
  try {
    back = deserializeDigestingLists(bytes, { name, backend: index.backend });
  } catch (e) {
    throw new LibvqError('INTERNAL', `${name}: self-check failed, the bytes just written do not read back (a libvq bug; nothing was written): ${(e as Error).message}`, { cause: e });
  }
  if (indexDigest(back.index, back.lists) !== expected) {
    throw new LibvqError('INTERNAL', `${name}: self-check failed, the bytes just written read back as a different index (a libvq bug; nothing was written)`);
  }
}

/** The index in faiss's binary format (what faiss.serialize_index returns), checked to read back as `index`. */
export function serializeIndex(index: Index): Uint8Array {
  const bytes = concatChunks(serializeChunks(index));
  verifyReadsBack(index, bytes, 'serializeIndex');
  return bytes;
}

/**
 * Writes the index as a faiss file that faiss.read_index opens. The bytes go to a temporary name in the
 * same directory, are flushed to disk, read back from disk and checked to hold `index` exactly, then renamed
 * over `path` (writeFileAtomicSync): a crash never leaves a half file and a corrupt file never reaches `path`.
 */
export async function writeIndex(index: Index, path: string): Promise<void> {
  const chunks = serializeChunks(index);
  await writeFileAtomic(path, chunks, { check: async (tmp) => verifyReadsBack(index, await readFile(tmp), path) });
}

/** writeIndex, blocking (scripts). */
export function writeIndexSync(index: Index, path: string): void {
  writeFileAtomicSync(path, serializeChunks(index), { check: (tmp) => verifyReadsBack(index, readFileSync(tmp), path) });
}
