import { LibvqError } from '@libvq/index-core';
import { FlatTable } from './flatbuffer.js';

// The parts of Arrow's IPC metadata (Schema.fbs, Message.fbs, File.fbs) that decide how many rows, columns and
// bytes a file holds, decoded with the bounds-checked FlatTable so they can be validated before apache-arrow reads
// the file. Field numbers are the order of the fields in those .fbs files.

/** A column's type, reduced to what fixes its buffers: the buffer layout and the byte width of its values. */
export interface FieldLayout {
  name: string;
  /** Arrow's Type union id (2 Int, 3 FloatingPoint, 5 Utf8, 12 List, 16 FixedSizeList, ...). */
  typeId: number;
  typeName: string;
  /** Bytes per value of a fixed-width type (0 for the others; Bool counts bits). */
  width: number;
  /** FixedSizeList's list size. */
  listSize: number;
  children: FieldLayout[];
  /** Dictionary-encoded columns (arrow-js's default for strings): batches hold indices of this width into dictionary `id`. */
  dictionary?: { id: number; indexWidth: number };
}

export interface SchemaLayout {
  fields: FieldLayout[];
  /** One string per column tree (name, type, list size, children): two schemas with equal signatures describe the same columns. */
  signature: string;
  /** The value column of each dictionary id. */
  dictionaries: Map<number, FieldLayout>;
}

export interface BatchLayout {
  rows: number;
  /** Per column node, pre-order: its length and null count. */
  nodes: { length: number; nullCount: number }[];
  /** Per buffer, pre-order: offset and length inside the message body. */
  buffers: { offset: number; length: number }[];
}

export interface MessageLayout {
  /** 1 Schema, 2 DictionaryBatch, 3 RecordBatch (Message.fbs MessageHeader). */
  headerType: number;
  bodyLength: number;
  schema?: SchemaLayout;
  batch?: BatchLayout;
  /** A dictionary batch: the dictionary it fills and its values as a one-column batch. */
  dictionary?: { id: number; batch: BatchLayout };
}

export interface FooterLayout {
  schema: SchemaLayout;
  dictionaries: { offset: number; metaDataLength: number; bodyLength: number }[];
  /** The record batch blocks: message offset, metadata length (with its 8-byte prefix), body length. */
  batches: { offset: number; metaDataLength: number; bodyLength: number }[];
}

const TYPE_NAMES = [
  'NONE', 'Null', 'Int', 'FloatingPoint', 'Binary', 'Utf8', 'Bool', 'Decimal', 'Date', 'Time', 'Timestamp', 'Interval',
  'List', 'Struct', 'Union', 'FixedSizeBinary', 'FixedSizeList', 'Map', 'Duration', 'LargeBinary', 'LargeUtf8',
  'LargeList', 'RunEndEncoded', 'BinaryView', 'Utf8View', 'ListView', 'LargeListView',
];

export const TYPE = { Null: 1, Int: 2, Float: 3, Binary: 4, Utf8: 5, Bool: 6, Decimal: 7, Date: 8, Time: 9, Timestamp: 10, List: 12, Struct: 13, FixedSizeBinary: 15, FixedSizeList: 16, Map: 17, Duration: 18, LargeBinary: 19, LargeUtf8: 20, LargeList: 21 } as const;

const MAX_DEPTH = 16;

function fail(where: string, message: string): never {
  throw new LibvqError('BAD_FILE', `${where}: ${message}`);
}

function parseField(f: FlatTable, where: string, depth: number): FieldLayout {
  if (depth > MAX_DEPTH) fail(where, `corrupted Arrow schema: columns nested deeper than ${MAX_DEPTH} levels`);
  const name = f.string(0, 'field name') ?? '';
  f.keyValues(6, `metadata of column "${name}"`);
  const typeId = f.u8(2, 0);
  const typeName = TYPE_NAMES[typeId] ?? `type #${typeId}`;
  const t = f.table(3, `type of column "${name}"`);
  const dict = f.table(4, `dictionary of column "${name}"`);
  let dictionary: FieldLayout['dictionary'];
  if (dict !== undefined) {
    const indexBits = dict.table(1, `dictionary index type of column "${name}"`)?.i32(0, 32) ?? 32;
    if (![8, 16, 32, 64].includes(indexBits)) fail(where, `corrupted Arrow schema: column "${name}" has dictionary indices of ${indexBits} bits`);
    dictionary = { id: dict.i64(0, 0), indexWidth: indexBits / 8 };
  }
  let width = 0;
  let listSize = 0;
  switch (typeId) {
    case TYPE.Int: {
      const bits = t?.i32(0, 0) ?? 0;
      if (![8, 16, 32, 64].includes(bits)) fail(where, `corrupted Arrow schema: column "${name}" is an Int of ${bits} bits`);
      width = bits / 8;
      break;
    }
    case TYPE.Float: {
      const precision = t?.i16(0, 0) ?? 0;
      if (precision < 0 || precision > 2) fail(where, `corrupted Arrow schema: column "${name}" has float precision #${precision}`);
      width = [2, 4, 8][precision];
      break;
    }
    case TYPE.Date:
      width = (t?.i16(0, 1) ?? 1) === 0 ? 4 : 8;
      break;
    case TYPE.Time: {
      const bits = t?.i32(1, 32) ?? 32;
      if (bits !== 32 && bits !== 64) fail(where, `corrupted Arrow schema: column "${name}" is a Time of ${bits} bits`);
      width = bits / 8;
      break;
    }
    case TYPE.Timestamp:
    case TYPE.Duration:
      width = 8;
      break;
    case TYPE.Decimal: {
      const bits = t?.i32(2, 128) ?? 128;
      if (bits !== 128 && bits !== 256) fail(where, `corrupted Arrow schema: column "${name}" is a Decimal of ${bits} bits`);
      width = bits / 8;
      break;
    }
    case TYPE.FixedSizeBinary:
      width = t?.i32(0, 0) ?? 0;
      if (width <= 0) fail(where, `corrupted Arrow schema: column "${name}" is a FixedSizeBinary of ${width} bytes`);
      break;
    case TYPE.FixedSizeList:
      listSize = t?.i32(0, 0) ?? 0;
      if (listSize <= 0) fail(where, `corrupted Arrow schema: column "${name}" is a FixedSizeList of size ${listSize}`);
      break;
    case TYPE.Null: case TYPE.Binary: case TYPE.Utf8: case TYPE.Bool: case TYPE.List: case TYPE.Struct:
    case TYPE.Map: case TYPE.LargeBinary: case TYPE.LargeUtf8: case TYPE.LargeList:
      break;
    default:
      fail(where, `column "${name}" has Arrow type ${typeName}, which libvq does not read`);
  }
  const children = f.tables(5, `children of column "${name}"`).map((c) => parseField(c, where, depth + 1));
  const expectChildren = typeId === TYPE.List || typeId === TYPE.LargeList || typeId === TYPE.FixedSizeList || typeId === TYPE.Map ? 1 : typeId === TYPE.Struct ? -1 : 0;
  if (expectChildren >= 0 && children.length !== expectChildren) {
    fail(where, `corrupted Arrow schema: column "${name}" (${typeName}) has ${children.length} child columns, expected ${expectChildren}`);
  }
  return { name, typeId, typeName, width, listSize, children, dictionary };
}

function signatureOf(f: FieldLayout): string {
  const dict = f.dictionary ? `#${f.dictionary.id}/${f.dictionary.indexWidth}` : '';
  return `${JSON.stringify(f.name)}:${f.typeName}/${f.width}/${f.listSize}${dict}(${f.children.map(signatureOf).join(',')})`;
}

function collectDictionaries(fields: FieldLayout[], into: Map<number, FieldLayout>, where: string): Map<number, FieldLayout> {
  for (const f of fields) {
    if (f.dictionary) {
      if (into.has(f.dictionary.id)) fail(where, `corrupted Arrow schema: dictionary id ${f.dictionary.id} is used by two columns`);
      into.set(f.dictionary.id, { ...f, dictionary: undefined });
    }
    collectDictionaries(f.children, into, where);
  }
  return into;
}

export function parseSchema(t: FlatTable, where: string): SchemaLayout {
  if (t.i16(0, 0) !== 0) fail(where, 'the Arrow data is big-endian, which libvq does not read');
  const fields = t.tables(1, 'schema fields').map((f) => parseField(f, where, 0));
  t.keyValues(2, 'schema metadata');
  t.structs(3, 8, 'schema features');
  return { fields, signature: fields.map(signatureOf).join(';'), dictionaries: collectDictionaries(fields, new Map(), where) };
}

function parseBatch(t: FlatTable, where: string): BatchLayout {
  const rows = t.i64(0, 0);
  if (rows < 0) fail(where, `record batch of ${rows} rows`);
  t.structs(4, 8, 'variadic buffer counts');
  if (t.table(3, 'compression') !== undefined) fail(where, 'the record batch is compressed (LZ4/ZSTD), which libvq does not read; write it uncompressed');
  const n = t.structs(1, 16, 'field nodes');
  const nodes = [];
  for (let k = 0; k < n.length; k++) nodes.push({ length: t.structI64(n.at(k), `node ${k} length`), nullCount: t.structI64(n.at(k) + 8, `node ${k} null count`) });
  const b = t.structs(2, 16, 'buffers');
  const buffers = [];
  for (let k = 0; k < b.length; k++) buffers.push({ offset: t.structI64(b.at(k), `buffer ${k} offset`), length: t.structI64(b.at(k) + 8, `buffer ${k} length`) });
  return { rows, nodes, buffers };
}

/** Decodes one IPC message's metadata (the FlatBuffer after the length prefix). */
export function parseMessage(bytes: Uint8Array, where: string): MessageLayout {
  const m = FlatTable.root(bytes, 'message', where);
  m.keyValues(4, 'message metadata');
  const headerType = m.u8(1, 0);
  const bodyLength = m.i64(3, 0);
  if (bodyLength < 0) fail(where, `message body of ${bodyLength} bytes`);
  const header = m.table(2, 'message header');
  if (header === undefined) fail(where, 'corrupted Arrow message: no header');
  if (headerType === 1) return { headerType, bodyLength, schema: parseSchema(header, where) };
  if (headerType === 3) return { headerType, bodyLength, batch: parseBatch(header, where) };
  if (headerType === 2) {
    const data = header.table(1, 'dictionary batch data');
    if (data === undefined) fail(where, 'corrupted Arrow message: a dictionary batch without data');
    if (header.u8(2, 0) !== 0) fail(where, 'the Arrow data holds a delta dictionary batch, which libvq does not read');
    return { headerType, bodyLength, dictionary: { id: header.i64(0, 0), batch: parseBatch(data, where) } };
  }
  return fail(where, `corrupted Arrow message: header type #${headerType} (expected a schema or a record batch)`);
}

/** Decodes an IPC file's footer. */
export function parseFooter(bytes: Uint8Array, where: string): FooterLayout {
  const f = FlatTable.root(bytes, 'footer', where);
  f.keyValues(4, 'footer metadata');
  const schemaTable = f.table(1, 'footer schema');
  if (schemaTable === undefined) fail(where, 'corrupted Arrow footer: no schema');
  const schema = parseSchema(schemaTable, where);
  return { schema, dictionaries: blocksOf(f, 2, 'dictionary blocks'), batches: blocksOf(f, 3, 'record batch blocks') };
}

function blocksOf(f: FlatTable, field: number, what: string): FooterLayout['batches'] {
  const blocks = f.structs(field, 24, what);
  const out = [];
  for (let k = 0; k < blocks.length; k++) {
    const p = blocks.at(k);
    out.push({ offset: f.structI64(p, `${what} ${k} offset`), metaDataLength: f.structI32(p + 8, `${what} ${k} metadata length`), bodyLength: f.structI64(p + 16, `${what} ${k} body length`) });
  }
  return out;
}
