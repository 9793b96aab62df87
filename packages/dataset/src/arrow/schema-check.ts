import { DataType, type Field, type Schema } from 'apache-arrow';
import { LibvqError } from '@libvq/index-core';

/** A type test with the words an error message uses for it. */
export interface TypeSpec {
  test: (t: DataType) => boolean;
  describe: string;
}

export const UTF8: TypeSpec = { test: (t) => DataType.isUtf8(t) || DataType.isLargeUtf8(t), describe: 'Utf8' };
export const INT32: TypeSpec = { test: (t) => DataType.isInt(t) && t.bitWidth === 32 && t.isSigned, describe: 'Int32' };
export const INT64: TypeSpec = { test: (t) => DataType.isInt(t) && t.bitWidth === 64 && t.isSigned, describe: 'Int64' };
/** External ids: strings (plain or dictionary-encoded, as pandas categoricals are written) or integers. */
export const ID: TypeSpec = {
  test: (t) => UTF8.test(t) || INT64.test(t) || INT32.test(t) || (DataType.isDictionary(t) && UTF8.test(t.dictionary)),
  describe: 'Utf8, Int64 or Int32',
};
export const LIST_INT32: TypeSpec = {
  test: (t) => DataType.isList(t) && INT32.test(t.children[0].type),
  describe: 'List<Int32>',
};

export function fixedSizeListOf(item: 'Float32' | 'Int64', size?: number): TypeSpec {
  const itemTest = item === 'Float32' ? (t: DataType) => DataType.isFloat(t) && t.precision === 1 : INT64.test;
  return {
    test: (t) => DataType.isFixedSizeList(t) && itemTest(t.children[0].type) && (size === undefined || t.listSize === size),
    describe: `FixedSizeList<${item}>${size === undefined ? '' : `[${size}]`}`,
  };
}

/** The named field, checked against a type; errors name the file, the column and both types. */
export function requireField(schema: Schema, name: string, spec: TypeSpec, path: string): Field {
  const field = schema.fields.find((f) => f.name === name);
  if (!field) {
    throw new LibvqError(
      'BAD_FILE',
      `${path}: column "${name}" (${spec.describe}) is missing; the columns are ${schema.fields.map((f) => `"${f.name}": ${String(f.type)}`).join(', ') || '(none)'}`,
    );
  }
  if (!spec.test(field.type)) {
    throw new LibvqError('BAD_FILE', `${path}: column "${name}" has type ${String(field.type)}, expected ${spec.describe}`);
  }
  return field;
}

/** Like requireField, but an absent column is allowed (undefined). */
export function optionalField(schema: Schema, name: string, spec: TypeSpec, path: string): Field | undefined {
  return schema.fields.some((f) => f.name === name) ? requireField(schema, name, spec, path) : undefined;
}

/** A schema metadata entry parsed as a positive integer, or an error naming the key. */
export function metadataInt(schema: Schema, key: string, path: string, required: boolean): number | undefined {
  const v = schema.metadata.get(key);
  if (v === undefined) {
    if (required) throw new LibvqError('BAD_FILE', `${path}: schema metadata "${key}" is missing`);
    return undefined;
  }
  if (!/^\d+$/.test(v)) throw new LibvqError('BAD_FILE', `${path}: schema metadata "${key}" is ${JSON.stringify(v)}, expected a non-negative integer`);
  return Number.parseInt(v, 10);
}
