import { LibvqError } from '@libvq/index-core';
import type { Tensor, TensorData } from '@libvq/index-core';

/**
 * A small reader/writer of the safetensors format (what Python's `safetensors` reads): an 8-byte little-endian
 * header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}
 * (padded with spaces to a multiple of 8 so the data is aligned), then the raw little-endian tensor bytes,
 * offsets relative to the end of the header.
 */
export type SafeDtype = 'F32' | 'F64' | 'I32' | 'U8' | 'I64';

const BYTES: Record<SafeDtype, number> = { F32: 4, F64: 8, I32: 4, U8: 1, I64: 8 };

/** The safetensors dtype of a tensor's data. */
export function safeDtype(a: TensorData): SafeDtype {
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof Float64Array) return 'F64';
  if (a instanceof Int32Array) return 'I32';
  if (a instanceof Uint8Array) return 'U8';
  return 'I64';
}

// Typed arrays are in platform byte order; every platform Node runs on is little-endian, and we check it once.
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  if (!LITTLE) throw new LibvqError('UNSUPPORTED', 'safetensors: big-endian platforms are not supported');
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const bytes = t.data.byteLength;
    header[name] = { dtype: safeDtype(t.data), shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  const pad = (8 - ((8 + raw.length) % 8)) % 8;
  json += ' '.repeat(pad);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

export interface DecodedSafetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parses and validates a safetensors buffer; `file` names it in errors. The tensors are copies (aligned). */
export function decodeSafetensors(buf: Uint8Array, file: string): DecodedSafetensors {
  if (buf.length < 8) throw new LibvqError('BAD_FILE', `${file}: ${buf.length} bytes, too short for a safetensors header`);
  const n = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0, true);
  if (n > BigInt(buf.length - 8)) throw new LibvqError('BAD_FILE', `${file}: header length ${n} exceeds the file (${buf.length} bytes)`);
  const headerLen = Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new LibvqError('BAD_FILE', `${file}: the safetensors header is not valid UTF-8 JSON`, { cause: e });
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new LibvqError('BAD_FILE', `${file}: the header is not a JSON object`);
  const dataStart = 8 + headerLen;
  const dataLen = buf.length - dataStart;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  let covered = 0;
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e?.dtype as SafeDtype;
    if (!(typeof dtype === 'string' && dtype in BYTES)) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" has dtype ${JSON.stringify(e?.dtype)}, expected one of ${Object.keys(BYTES).join(', ')}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isInteger(x))) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
    const [b, en] = off as [number, number];
    const count = (shape as number[]).reduce((a, s) => a * s, 1);
    if (b < 0 || en > dataLen || en - b !== count * BYTES[dtype]) {
      throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" [${shape.join(', ')}] ${dtype} spans bytes ${b}..${en}; expected ${count * BYTES[dtype]} bytes within the ${dataLen} data bytes`);
    }
    covered += en - b;
    // a fresh, aligned copy (a Node Buffer's slice would share, and misalign, the file's pool memory)
    const bytes = new Uint8Array(en - b);
    bytes.set(buf.subarray(dataStart + b, dataStart + en));
    const data: TensorData =
      dtype === 'F32' ? new Float32Array(bytes.buffer)
        : dtype === 'F64' ? new Float64Array(bytes.buffer)
          : dtype === 'I32' ? new Int32Array(bytes.buffer)
            : dtype === 'I64' ? new BigInt64Array(bytes.buffer)
              : bytes;
    tensors[name] = { shape: shape as number[], data };
  }
  if (covered !== dataLen) throw new LibvqError('BAD_FILE', `${file}: tensors cover ${covered} of the ${dataLen} data bytes (truncated or trailing data)`);
  return { tensors, metadata };
}

/** Fetches a tensor by name with the expected dtype and shape, or throws naming the file and tensor. */
export function expectTensor(dec: DecodedSafetensors, file: string, name: string, dtype: SafeDtype, shape: readonly number[]): Tensor {
  const t = dec.tensors[name];
  if (!t) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" is missing`);
  if (safeDtype(t.data) !== dtype || t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" is ${safeDtype(t.data)} [${t.shape.join(', ')}], expected ${dtype} [${shape.join(', ')}]`);
  }
  return t;
}
