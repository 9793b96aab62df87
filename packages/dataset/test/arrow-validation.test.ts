import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { LibvqError } from '@libvq/index-core';
import { afterAll, describe, expect, it } from 'vitest';
import { openVectors, readEmbeddings, writeEmbeddings } from '../src/index.js';

// Arrow files are validated before apache-arrow reads them (arrow/ipc-scan.ts). Each case is a corruption that
// apache-arrow alone turns into a hang or a silently shorter table.
const dir = mkdtempSync(join(tmpdir(), 'libvq-arrow-valid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const m = { rows: 40, dim: 12, data: Float32Array.from({ length: 480 }, (_, i) => Math.sin(i)) };

async function written(): Promise<Uint8Array> {
  const p = join(dir, 'ok.arrow');
  await writeEmbeddings(p, m, { batchRows: 16 });
  return new Uint8Array(readFileSync(p));
}

async function expectRefused(bytes: Uint8Array, name: string, message: RegExp): Promise<void> {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  for (const read of [() => readEmbeddings(p), () => openVectors(p)]) {
    const err = await read().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LibvqError);
    expect((err as LibvqError).code).toBe('BAD_FILE');
    expect((err as Error).message).toMatch(message);
  }
}

describe('Arrow IPC validation', () => {
  it('reads the valid file: 3 record batches, 40 rows', async () => {
    const p = join(dir, 'ok.arrow');
    await written();
    expect((await readEmbeddings(p)).matrix.rows).toBe(40);
    expect((await openVectors(p)).rows).toBe(40);
  });

  it('refuses a damaged message marker (apache-arrow re-reads that block forever)', async () => {
    const b = await written();
    b[8] = 0x00;
    await expectRefused(b, 'marker.arrow', /message at byte 8\): expected the 0xFFFFFFFF message marker, found 0xffffff00/);
  });

  it('refuses a footer that lists fewer record batches than the file holds (apache-arrow reads 32 of 40 rows)', async () => {
    const b = await written();
    const view = new DataView(b.buffer);
    const footerLength = view.getInt32(b.length - 10, true);
    const footerStart = b.length - 10 - footerLength;
    // The record-batch vector: its length (3) followed by the first block, whose offset is 8.
    let at = -1;
    for (let i = footerStart; i + 12 <= b.length - 10; i += 4) {
      if (view.getUint32(i, true) === 3 && view.getBigInt64(i + 4, true) === 8n) at = i;
    }
    expect(at).toBeGreaterThan(0);
    view.setUint32(at, 2, true);
    expect(tableFromIPC(b).numRows).toBe(32); // what apache-arrow alone makes of it
    await expectRefused(b, 'footer.arrow', /the footer lists 2 record batches, the file holds 3/);
  });

  it('refuses a list size that does not match the values present', async () => {
    const b = await written();
    const view = new DataView(b.buffer);
    // FixedSizeList listSize 12 appears in the footer's schema; make it 13.
    const footerStart = b.length - 10 - view.getInt32(b.length - 10, true);
    let patched = 0;
    for (let i = footerStart; i + 4 <= b.length - 10; i++) {
      if (view.getInt32(i, true) === 12 && i % 4 === 0) {
        const copy = b.slice();
        new DataView(copy.buffer).setInt32(i, 13, true);
        const p = join(dir, `list-${i}.arrow`);
        writeFileSync(p, copy);
        const r: { rows: number; dim: number } | Error = await readEmbeddings(p).then((e) => e.matrix, (e: unknown) => e as Error);
        // Whatever the int was, the read either fails with a typed error or is unchanged.
        if (r instanceof Error) expect(r).toBeInstanceOf(LibvqError);
        else expect([r.rows, r.dim]).toEqual([40, 12]);
        patched++;
      }
    }
    expect(patched).toBeGreaterThan(0);
  });
});
