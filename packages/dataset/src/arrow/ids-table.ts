import { recordBatch, schemaFor } from './batch.js';
import { idsData, readIds } from './columns.js';
import { readArrowTable, writeArrowFile } from './ipc.js';
import { ID, requireField } from './schema-check.js';
import { IdMap } from '../raw/id-map.js';

/** The id map file: one `id: Utf8` column; row i holds the external id of row offset i. */
export async function writeIdMapFile(path: string, ids: IdMap, batchRows = 65536): Promise<void> {
  const list = ids.ids();
  const schema = schemaFor(['id'], [idsData([])]);
  function* batches() {
    for (let s = 0; s < list.length; s += batchRows) yield recordBatch(schema, [idsData(list.slice(s, s + batchRows))]);
  }
  await writeArrowFile(path, schema, batches());
}

/** Reads an id map file; integer ids become their decimal strings; a repeated id is an error. */
export async function readIdMapFile(path: string): Promise<IdMap> {
  const table = await readArrowTable(path);
  requireField(table.schema, 'id', ID, path);
  const ids = readIds(table.getChild('id')!, path, 'id');
  return IdMap.from(Array.from(ids as ArrayLike<string | bigint | number>, String), path);
}
