import { LibvqError, type Matrix } from '@libvq/index-core';
import { bytesOf, checkMatrix, writeFileAtomic } from '@libvq/index-core/util';
import { fileSize, openForRead, readExactly } from '../io/read-file.js';

/**
 * NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * "\x93NUMPY", major, minor, a little-endian header length (uint16 in 1.0, uint32 in 2.0/3.0), then a
 * Python dict literal {'descr', 'fortran_order', 'shape'} padded with spaces and '\n', then the raw data.
 * We read C-order 2-D little-endian float32/float64 and write 1.0 float32. Hosts are assumed little-endian
 * (every platform Node ships for), so float32 payloads are read straight into the matrix's bytes.
 */
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export interface NpyHeader {
  descr: '<f4' | '<f8';
  rows: number;
  dim: number;
  /** Byte offset of the data. */
  dataOffset: number;
}

export function parseNpyHeader(pre: Uint8Array, path: string): { major: number; headerLen: number; preambleLen: number } {
  for (let i = 0; i < MAGIC.length; i++) {
    if (pre[i] !== MAGIC[i]) throw new LibvqError('BAD_FILE', `${path}: not a .npy file (magic "\\x93NUMPY" missing)`);
  }
  const major = pre[6];
  const view = new DataView(pre.buffer, pre.byteOffset, pre.byteLength);
  if (major === 1) return { major, headerLen: view.getUint16(8, true), preambleLen: 10 };
  if (major === 2 || major === 3) return { major, headerLen: view.getUint32(8, true), preambleLen: 12 };
  throw new LibvqError('BAD_FILE', `${path}: .npy format version ${major}.${pre[7]} is not supported (expected 1.x, 2.x or 3.x)`);
}

/** Parses the header dict; only the three keys numpy writes are read. */
export function parseNpyDict(text: string, path: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new LibvqError('BAD_FILE', `${path}: .npy header ${JSON.stringify(text.trim())} lacks 'descr', 'fortran_order' or 'shape'`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!/^\d+L?$/.test(s)) throw new LibvqError('BAD_FILE', `${path}: .npy shape (${shapeText}) has a non-integer entry ${JSON.stringify(s)}`);
      return Number.parseInt(s, 10);
    });
  return { descr, fortran: fortran === 'True', shape };
}

/** Reads and checks a .npy preamble and header (2-D, C order, float32/float64, exact file size). */
export async function readNpyHeader(fh: import('node:fs/promises').FileHandle, size: number, path: string): Promise<NpyHeader> {
  if (size < 12) throw new LibvqError('BAD_FILE', `${path}: truncated: ${size} bytes is shorter than a .npy preamble`);
  const pre = new Uint8Array(12);
  await readExactly(fh, pre, 0, path, 'the .npy preamble');
  const { major, headerLen, preambleLen } = parseNpyHeader(pre, path);
  const headerBytes = new Uint8Array(headerLen);
  await readExactly(fh, headerBytes, preambleLen, path, 'the .npy header');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const { descr, fortran, shape } = parseNpyDict(text, path);
  if (descr !== '<f4' && descr !== '<f8') {
    throw new LibvqError('UNSUPPORTED', `${path}: .npy dtype ${JSON.stringify(descr)} is not supported (expected little-endian float32 '<f4' or float64 '<f8')`);
  }
  if (fortran) {
    throw new LibvqError('UNSUPPORTED', `${path}: .npy array is in Fortran order; save a C-order array (numpy.ascontiguousarray)`);
  }
  if (shape.length !== 2) {
    throw new LibvqError('UNSUPPORTED', `${path}: .npy array has shape (${shape.join(', ')}), expected 2-D (rows, dim)`);
  }
  const [rows, dim] = shape;
  if (dim === 0) throw new LibvqError('BAD_FILE', `${path}: .npy array has shape (${rows}, 0): vectors need at least one component`);
  const dataOffset = preambleLen + headerLen;
  const itemSize = descr === '<f4' ? 4 : 8;
  const expected = dataOffset + rows * dim * itemSize;
  if (size < expected) {
    throw new LibvqError('BAD_FILE', `${path}: truncated: shape (${rows}, ${dim}) ${descr} needs ${expected} bytes, the file has ${size}`);
  }
  if (size > expected) {
    throw new LibvqError('BAD_FILE', `${path}: ${size - expected} unexpected bytes after the (${rows}, ${dim}) ${descr} data`);
  }
  return { descr, rows, dim, dataOffset };
}

/** Reads a 2-D float32/float64 .npy file into a float32 matrix; non-finite values are reported by row. */
export async function readNpy(path: string): Promise<Matrix> {
  const fh = await openForRead(path);
  try {
    const size = await fileSize(fh);
    const h = await readNpyHeader(fh, size, path);
    const n = h.rows * h.dim;
    const data = new Float32Array(n);
    if (h.descr === '<f4') {
      await readExactly(fh, bytesOf(data), h.dataOffset, path, 'the float32 data');
    } else {
      // float64 -> float32 in slices, so a big file never needs a whole float64 copy in memory.
      const step = 1 << 20;
      const scratch = new Float64Array(Math.min(step, n));
      for (let start = 0; start < n; start += step) {
        const len = Math.min(step, n - start);
        const part = scratch.subarray(0, len);
        await readExactly(fh, bytesOf(part), h.dataOffset + start * 8, path, 'the float64 data');
        data.set(part, start);
      }
    }
    const m = { rows: h.rows, dim: h.dim, data };
    checkMatrix(m, path);
    return m;
  } finally {
    await fh.close();
  }
}

/** The .npy 1.0 header for a C-order float32 (rows, dim) array, padded to a multiple of 64 bytes. */
export function npyHeaderF32(rows: number, dim: number): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const header = dict + ' '.repeat(total - unpadded) + '\n';
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}

/** Writes a matrix as a .npy 1.0 float32 file (temporary name, then rename). */
export async function writeNpy(path: string, m: Matrix): Promise<void> {
  checkMatrix(m, 'writeNpy matrix');
  await writeFileAtomic(path, [npyHeaderF32(m.rows, m.dim), m.data]);
}
