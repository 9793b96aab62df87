import { type Data, Field, RecordBatch, Schema, Struct, makeData } from 'apache-arrow';

/** A record batch from a schema and one Data per field, in schema order. */
export function recordBatch(schema: Schema, columns: readonly Data[]): RecordBatch {
  const length = columns.length > 0 ? columns[0].length : 0;
  const data = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: columns as Data[] });
  return new RecordBatch(schema, data);
}

/** A schema whose fields take their types from the columns they describe. */
export function schemaFor(names: readonly string[], columns: readonly Data[], metadata?: Map<string, string>): Schema {
  return new Schema(
    names.map((n, i) => new Field(n, columns[i].type, false)),
    metadata,
  );
}
