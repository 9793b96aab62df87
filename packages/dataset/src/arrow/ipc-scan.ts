import { LibvqError } from '@libvq/index-core';
import { type BatchLayout, type FieldLayout, type SchemaLayout, TYPE, parseFooter, parseMessage } from './ipc-layout.js';

/**
 * Structural validation of an Arrow IPC file or stream before apache-arrow reads it. apache-arrow trusts the
 * metadata: a corrupted file can make it loop forever, read a footer that skips batches, or take a list size that
 * turns 2 KB into a 47,880-wide vector. This walks every message (framing, schema, each record batch's nodes and
 * buffers against the schema and the body's bounds, offsets buffers monotonic and inside their data) and, for
 * the file format, checks the footer's blocks and schema against the messages themselves. It reads only the
 * metadata and offsets buffers, so it costs little on files of any size.
 */

/** Positional reads of the file (or of bytes already in memory). */
export interface ByteSource {
  size: number;
  read(position: number, length: number): Promise<Uint8Array>;
}

export interface IpcScan {
  format: 'file' | 'stream';
  schema: SchemaLayout;
  /** Rows of each record batch, in file order. */
  batchRows: number[];
  totalRows: number;
}

/** Arrow metadata (a schema, a batch's nodes and buffers, a footer) is kilobytes; more is corruption, refused before it is read. */
const MAX_METADATA_BYTES = 64 << 20;
const CONTINUATION = 0xffffffff;
const FILE_MAGIC = 'ARROW1';

export function sourceOfBytes(bytes: Uint8Array): ByteSource {
  return { size: bytes.byteLength, read: async (p, n) => bytes.subarray(p, p + n) };
}

export async function scanArrowIpc(src: ByteSource, path: string): Promise<IpcScan> {
  const head = await src.read(0, Math.min(8, src.size));
  const isFile = src.size >= 6 && new TextDecoder('latin1').decode(head.subarray(0, 6)) === FILE_MAGIC;
  if (!isFile) {
    const walked = await walkMessages(src, 0, src.size, path, 'stream');
    return { format: 'stream', schema: walked.schema, batchRows: walked.batches.map((b) => b.rows), totalRows: sum(walked.batches) };
  }
  if (src.size < 8 + 4 + 6) fail(path, `truncated Arrow IPC file (${src.size} bytes)`);
  const tail = await src.read(src.size - 10, 10);
  if (new TextDecoder('latin1').decode(tail.subarray(4)) !== FILE_MAGIC) fail(path, 'truncated Arrow IPC file (the trailing "ARROW1" magic is missing)');
  const footerLength = new DataView(tail.buffer, tail.byteOffset, 4).getInt32(0, true);
  const footerStart = src.size - 10 - footerLength;
  if (footerLength <= 0 || footerLength > MAX_METADATA_BYTES || footerStart < 8) {
    fail(path, `corrupted Arrow IPC file: footer length ${footerLength} does not fit the ${src.size}-byte file`);
  }
  const footer = parseFooter(await src.read(footerStart, footerLength), `${path} (footer)`);
  // arrow-js writes the schema only in the footer; other writers also put a schema message first, which must agree.
  const walked = await walkMessages(src, 8, footerStart, path, 'file', footer.schema);
  sameBlocks(footer.dictionaries, walked.dictionaries, 'dictionary batch', path);
  sameBlocks(footer.batches, walked.batches, 'record batch', path);
  return { format: 'file', schema: walked.schema, batchRows: walked.batches.map((b) => b.rows), totalRows: sum(walked.batches) };
}

interface Block {
  offset: number;
  metaDataLength: number;
  bodyLength: number;
}

interface WalkedBatch extends Block {
  rows: number;
}

/** The footer's blocks must be exactly the messages found walking the file (a footer that skips a batch would silently drop rows). */
function sameBlocks(footer: Block[], walked: Block[], what: string, path: string): void {
  if (footer.length !== walked.length) fail(path, `corrupted Arrow IPC file: the footer lists ${footer.length} ${what}es, the file holds ${walked.length}`);
  footer.forEach((b, i) => {
    const w = walked[i];
    if (b.offset !== w.offset || b.metaDataLength !== w.metaDataLength || b.bodyLength !== w.bodyLength) {
      fail(path, `corrupted Arrow IPC file: footer block of ${what} ${i} (offset ${b.offset}, metadata ${b.metaDataLength} B, body ${b.bodyLength} B) does not match the message at byte ${w.offset} (metadata ${w.metaDataLength} B, body ${w.bodyLength} B)`);
    }
  });
}

async function walkMessages(
  src: ByteSource, start: number, end: number, path: string, format: 'file' | 'stream', footerSchema?: SchemaLayout,
): Promise<{ schema: SchemaLayout; batches: WalkedBatch[]; dictionaries: Block[] }> {
  let schema: SchemaLayout | undefined = footerSchema;
  let schemaMessages = 0;
  const batches: WalkedBatch[] = [];
  const dictionaries: Block[] = [];
  let pos = start;
  while (pos < end) {
    const where = `${path} (Arrow message at byte ${pos})`;
    if (end - pos < 8) fail(where, `${end - pos} stray bytes where a message or the end-of-stream marker should be`);
    const prefix = new DataView((await src.read(pos, 8)).slice().buffer);
    if (prefix.getUint32(0, true) !== CONTINUATION) fail(where, `expected the 0xFFFFFFFF message marker, found 0x${prefix.getUint32(0, true).toString(16).padStart(8, '0')}`);
    const metaLength = prefix.getInt32(4, true);
    if (metaLength === 0) {
      // End-of-stream: nothing may follow it but the file's footer (a corrupted length must not end the data early).
      if (pos + 8 !== end) fail(where, `end-of-stream marker followed by ${end - pos - 8} more bytes`);
      break;
    }
    if (metaLength < 0 || metaLength > MAX_METADATA_BYTES || pos + 8 + metaLength > end) {
      fail(where, `metadata length ${metaLength} does not fit the ${end - pos - 8} bytes left`);
    }
    const msg = parseMessage(await src.read(pos + 8, metaLength), where);
    const bodyStart = pos + 8 + metaLength;
    if (bodyStart + msg.bodyLength > end) fail(where, `truncated: the message body needs ${msg.bodyLength} bytes, ${end - bodyStart} are left`);
    if (msg.schema) {
      if (++schemaMessages > 1) fail(where, 'a second schema message');
      if (batches.length > 0) fail(where, 'a schema message after record batches');
      if (schema !== undefined && schema.signature !== msg.schema.signature) fail(where, 'the schema message differs from the footer\'s schema');
      schema = msg.schema;
    } else if (msg.batch) {
      if (schema === undefined) fail(where, 'a record batch before the schema message');
      await checkBatch(msg.batch, schema, msg.bodyLength, (p, n) => src.read(bodyStart + p, n), `${path} (record batch ${batches.length})`);
      batches.push({ offset: pos, metaDataLength: 8 + metaLength, bodyLength: msg.bodyLength, rows: msg.batch.rows });
    } else if (msg.dictionary) {
      if (schema === undefined) fail(where, 'a dictionary batch before the schema message');
      const values = schema.dictionaries.get(msg.dictionary.id);
      if (values === undefined) fail(where, `a dictionary batch for dictionary id ${msg.dictionary.id}, which no column uses`);
      const one = { fields: [values], signature: '', dictionaries: new Map() };
      await checkBatch(msg.dictionary.batch, one, msg.bodyLength, (p, n) => src.read(bodyStart + p, n), `${path} (dictionary batch ${dictionaries.length})`);
      dictionaries.push({ offset: pos, metaDataLength: 8 + metaLength, bodyLength: msg.bodyLength });
    }
    pos = bodyStart + msg.bodyLength;
  }
  if (schema === undefined) fail(path, `the Arrow ${format} holds no schema message`);
  return { schema, batches, dictionaries };
}

type BodyRead = (position: number, length: number) => Promise<Uint8Array>;

/** Checks one record batch's nodes and buffers against the schema, pre-order, as the IPC format lays them out. */
async function checkBatch(batch: BatchLayout, schema: SchemaLayout, bodyLength: number, read: BodyRead, where: string): Promise<void> {
  const cursor = { node: 0, buffer: 0 };
  for (const f of schema.fields) await checkColumn(f, batch.rows, f.name, batch, cursor, bodyLength, read, where);
  if (cursor.node !== batch.nodes.length || cursor.buffer !== batch.buffers.length) {
    fail(where, `${batch.nodes.length} column nodes and ${batch.buffers.length} buffers where the schema implies ${cursor.node} and ${cursor.buffer}`);
  }
}

async function checkColumn(
  f: FieldLayout, expectedRows: number, name: string, batch: BatchLayout, cursor: { node: number; buffer: number },
  bodyLength: number, read: BodyRead, where: string,
): Promise<void> {
  const node = batch.nodes[cursor.node++];
  if (node === undefined) fail(where, `no column node for "${name}"`);
  const { length, nullCount } = node;
  if (length !== expectedRows) fail(where, `column "${name}" has ${length} values, expected ${expectedRows}`);
  if (nullCount < 0 || nullCount > length) fail(where, `column "${name}" has ${nullCount} nulls for ${length} values`);
  const take = (role: string, minBytes: number) => {
    const b = batch.buffers[cursor.buffer++];
    if (b === undefined) fail(where, `column "${name}" has no ${role} buffer`);
    if (b.offset < 0 || b.length < 0 || b.offset + b.length > bodyLength) {
      fail(where, `column "${name}"'s ${role} buffer (byte ${b.offset}, ${b.length} bytes) lies outside the ${bodyLength}-byte body`);
    }
    if (b.length < minBytes) fail(where, `column "${name}"'s ${role} buffer has ${b.length} bytes, ${minBytes} needed for ${length} values`);
    return b;
  };
  if (f.typeId === TYPE.Null) return;
  take('validity', nullCount > 0 ? Math.ceil(length / 8) : 0);
  if (f.dictionary) {
    take('dictionary indices', length * f.dictionary.indexWidth);
    return;
  }
  switch (f.typeId) {
    case TYPE.Bool:
      take('data', Math.ceil(length / 8));
      return;
    case TYPE.Binary: case TYPE.Utf8: case TYPE.LargeBinary: case TYPE.LargeUtf8: {
      const wide = f.typeId === TYPE.LargeBinary || f.typeId === TYPE.LargeUtf8;
      const offsets = take('offsets', length > 0 ? (length + 1) * (wide ? 8 : 4) : 0);
      const data = take('data', 0);
      if (length > 0) await checkOffsets(read, offsets.offset, length, wide, data.length, `column "${name}"`, where);
      return;
    }
    case TYPE.List: case TYPE.LargeList: case TYPE.Map: {
      const wide = f.typeId === TYPE.LargeList;
      const offsets = take('offsets', length > 0 ? (length + 1) * (wide ? 8 : 4) : 0);
      const childRows = batch.nodes[cursor.node]?.length ?? 0;
      const last = length > 0 ? await checkOffsets(read, offsets.offset, length, wide, childRows, `column "${name}"`, where) : 0;
      await checkColumn(f.children[0], Math.max(last, childRows), `${name}.${f.children[0].name}`, batch, cursor, bodyLength, read, where);
      return;
    }
    case TYPE.FixedSizeList:
      await checkColumn(f.children[0], length * f.listSize, `${name}.${f.children[0].name}`, batch, cursor, bodyLength, read, where);
      return;
    case TYPE.Struct:
      for (const c of f.children) await checkColumn(c, length, `${name}.${c.name}`, batch, cursor, bodyLength, read, where);
      return;
    default:
      take('data', length * f.width);
  }
}

/** Offsets must start at or above 0, never decrease and end within `limit`; returns the last one. */
async function checkOffsets(read: BodyRead, at: number, length: number, wide: boolean, limit: number, what: string, where: string): Promise<number> {
  const bytes = (await read(at, (length + 1) * (wide ? 8 : 4))).slice();
  const view = new DataView(bytes.buffer);
  const get = (i: number) => (wide ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true));
  let prev = get(0);
  if (prev < 0) fail(where, `${what}: first offset ${prev}`);
  for (let i = 1; i <= length; i++) {
    const v = get(i);
    if (v < prev) fail(where, `${what}: offset ${i} (${v}) is below offset ${i - 1} (${prev})`);
    prev = v;
  }
  if (prev > limit) fail(where, `${what}: the offsets reach ${prev}, beyond the ${limit} values present`);
  return prev;
}

function sum(batches: WalkedBatch[]): number {
  return batches.reduce((s, b) => s + b.rows, 0);
}

function fail(where: string, message: string): never {
  throw new LibvqError('BAD_FILE', `${where}: ${message}`);
}
