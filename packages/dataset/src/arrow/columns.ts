import {
  Data,
  DataType,
  Field,
  FixedSizeList,
  Float32,
  Int32,
  Int64,
  List,
  Utf8,
  type Vector,
  makeData,
  vectorFromArray,
} from 'apache-arrow';
import { LibvqError } from '@libvq/index-core';

/** The ids of a file's rows (a collection's document / query ids): strings (TSV ids) or integers. Index ids are index-core's Ids. */
export type RowIds = readonly string[] | BigInt64Array | Int32Array;

/** An id column (Utf8, Int64 or Int32) from ids; integer arrays are used without a copy. */
export function idsData(ids: RowIds): Data {
  if (ids instanceof BigInt64Array) return makeData({ type: new Int64(), length: ids.length, nullCount: 0, data: ids });
  if (ids instanceof Int32Array) return makeData({ type: new Int32(), length: ids.length, nullCount: 0, data: ids });
  return vectorFromArray(ids as string[], new Utf8()).data[0];
}

/** FixedSizeList<Float32|Int64>[size] column over one flat typed array (no copy). */
export function fixedSizeListData(values: Float32Array | BigInt64Array, size: number, itemName = 'item'): Data {
  if (values.length % size !== 0) {
    throw new LibvqError('DIMENSION_MISMATCH', `fixed-size list column: ${values.length} values is not a multiple of the list size ${size}`);
  }
  const itemType = values instanceof Float32Array ? new Float32() : new Int64();
  const child = makeData({ type: itemType, length: values.length, nullCount: 0, data: values } as never) as Data;
  // One code path for both item types; arrow-js's typings want a single concrete item type.
  const type = new FixedSizeList(size, new Field(itemName, itemType, false)) as FixedSizeList<Float32>;
  return makeData({ type, length: values.length / size, nullCount: 0, child: child as Data<Float32> });
}

/** List<Int32> column from concatenated values and n+1 offsets (no copy). */
export function listInt32Data(values: Int32Array, offsets: Int32Array): Data {
  const child = makeData({ type: new Int32(), length: values.length, nullCount: 0, data: values });
  const type = new List(new Field('item', new Int32(), false));
  return makeData({ type, length: offsets.length - 1, nullCount: 0, valueOffsets: offsets, child });
}

/**
 * The values of a FixedSizeList column as one flat typed array. A single chunk without an offset is
 * returned as a view; several chunks are concatenated (one copy).
 */
export function flatFixedSizeList<T extends Float32Array | BigInt64Array>(vec: Vector, ctor: { new (n: number): T }, path: string, column: string): T {
  const size = (vec.type as FixedSizeList).listSize;
  const out = new ctor(vec.length * size);
  let at = 0;
  for (const d of vec.data) {
    if (d.nullCount > 0) throw new LibvqError('BAD_FILE', `${path}: column "${column}" has ${d.nullCount} null rows`);
    // arrow-js keeps `values` already sliced to the data's own window (a sliced FixedSizeList slices its
    // child), so the chunk's items are the first length*size values.
    const vals = d.children[0].values as T;
    out.set(vals.subarray(0, d.length * size) as never, at);
    at += d.length * size;
  }
  return out;
}

/** An id column read back as strings, BigInt64Array or Int32Array. */
export function readIds(vec: Vector, path: string, column: string): RowIds {
  const t = vec.type as DataType;
  if (vec.nullCount > 0) throw new LibvqError('BAD_FILE', `${path}: column "${column}" has ${vec.nullCount} null ids`);
  if (DataType.isInt(t)) {
    const out = t.bitWidth === 64 ? new BigInt64Array(vec.length) : new Int32Array(vec.length);
    let at = 0;
    for (const d of vec.data) {
      out.set(d.values.subarray(0, d.length) as never, at);
      at += d.length;
    }
    return out;
  }
  const out: string[] = new Array<string>(vec.length);
  for (let i = 0; i < vec.length; i++) out[i] = vec.get(i) as string;
  return out;
}
