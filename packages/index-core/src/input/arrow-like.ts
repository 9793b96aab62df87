/**
 * The members of apache-arrow's Table / RecordBatch / Vector / Data that libvq reads, described by shape rather
 * than by class. A user's table may come from another copy or version of apache-arrow than any libvq package
 * imports (LanceDB pins apache-arrow <= 18.1), and `instanceof` never matches across copies; index-core also
 * depends on no Arrow at all. These members and their meaning are the same in apache-arrow 15 to 21.
 */

/** Arrow's Type enum values libvq tests for (format/Schema.fbs; the same numbers in every apache-arrow). */
export const ARROW_TYPE = { Float: 3, FixedSizeList: 16 } as const;
/** Float precision SINGLE (float32). */
export const ARROW_PRECISION_SINGLE = 1;

export interface ArrowTypeLike {
  readonly typeId: number;
  /** Float: 0 half, 1 single, 2 double. */
  readonly precision?: number;
  /** FixedSizeList: values per row. */
  readonly listSize?: number;
  /** FixedSizeList: the one item field. */
  readonly children?: readonly ArrowFieldLike[];
}

export interface ArrowFieldLike {
  readonly name: string;
  readonly type: ArrowTypeLike;
}

/**
 * One contiguous chunk of a column. apache-arrow slices `values` to the chunk's own window when it slices a
 * chunk, and keeps `offset` only to index the validity bitmap, which it does not slice.
 */
export interface ArrowDataLike {
  readonly length: number;
  readonly offset: number;
  readonly nullCount: number;
  readonly nullBitmap?: Uint8Array | null;
  readonly values?: unknown;
  readonly children: readonly ArrowDataLike[];
}

/** A column: its type and its chunks (one per record batch). */
export interface ArrowVectorLike {
  readonly type: ArrowTypeLike;
  readonly data: readonly ArrowDataLike[];
}

/** A Table or a RecordBatch. */
export interface ArrowTableLike {
  readonly schema: { readonly fields: readonly ArrowFieldLike[] };
  getChild(name: string): ArrowVectorLike | null;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

export function isArrowTableLike(x: unknown): x is ArrowTableLike {
  return isObject(x) && isObject(x.schema) && Array.isArray(x.schema.fields) && typeof x.getChild === 'function';
}

export function isArrowVectorLike(x: unknown): x is ArrowVectorLike {
  return isObject(x) && isObject(x.type) && typeof x.type.typeId === 'number' && Array.isArray(x.data);
}

/** FixedSizeList<Float32>[n], n ≥ 1: the one layout read as vectors. */
export function isFloat32FixedSizeList(t: ArrowTypeLike): boolean {
  const item = t.children?.[0]?.type;
  return (
    t.typeId === ARROW_TYPE.FixedSizeList &&
    Number.isInteger(t.listSize) && t.listSize! > 0 &&
    item !== undefined && item.typeId === ARROW_TYPE.Float && item.precision === ARROW_PRECISION_SINGLE
  );
}

/** apache-arrow's own name for a type ("FixedSizeList[4]<Float32>"), for error messages. */
export function describeArrowType(t: ArrowTypeLike): string {
  const s = String(t);
  return s === '[object Object]' ? `Arrow type id ${t.typeId}` : s;
}

/** Whether entry i (counted from the chunk's start) is valid: bit offset + i of the validity bitmap. */
export function isValidAt(d: ArrowDataLike, i: number): boolean {
  const bits = d.nullBitmap;
  if (!bits || bits.length === 0) return true;
  const k = d.offset + i;
  return ((bits[k >> 3] >> (k & 7)) & 1) === 1;
}
