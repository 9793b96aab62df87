import { describe, expect, it, vi } from 'vitest';

/*
 * @libvq/dataset's Arrow code on the apache-arrow LanceDB pins (18.1.0; our range is >=15 <22). Installed next
 * to @lancedb/lancedb, npm gives @libvq/dataset that copy, not the newest one the workspace lockfile resolves
 * for it; so here 'apache-arrow' is replaced, for dataset's sources and the test files below alike, by the
 * workspace's other copy (@libvq/benchmarks', from LanceDB), and the Arrow test files run again on it: every
 * writer and reader (embeddings, results, ids, rels, tokens; IPC files and streams, the structure validator's
 * agreement with apache-arrow's reader, whole and batch-by-batch reads, tables in memory).
 */
const other = await vi.hoisted(async () => {
  const { otherArrowCopy } = await import('./helpers/other-arrow.js');
  return otherArrowCopy();
});
vi.mock('apache-arrow', async (importOriginal) => (other ? import(other.url) : importOriginal()));

describe.skipIf(!other)(`apache-arrow ${other?.version} (LanceDB's) under @libvq/dataset`, () => {
  it('is the copy dataset reads and writes with', async () => {
    const { tableFromArrays, tableToIPC, Table } = await import('apache-arrow');
    const pinned = (await import(other!.url)) as typeof import('apache-arrow');
    expect(Table).toBe(pinned.Table);
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { readArrowTable } = await import('../src/formats.js');
    const p = join(tmpdir(), `libvq-arrow-copy-${process.pid}.arrows`);
    writeFileSync(p, tableToIPC(tableFromArrays({ x: Int32Array.of(1, 2) }), 'stream'));
    expect(await readArrowTable(p)).toBeInstanceOf(pinned.Table);
  });
});

if (other) {
  await import('./arrow-tables.test.js');
  await import('./arrow-validation.test.js');
  await import('./vectors.test.js');
  await import('./vector-source.test.js');
  await import('./vectors-input-arrow.test.js');
}
