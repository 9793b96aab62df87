import type { FileHandle } from 'node:fs/promises';
import {
  AsyncByteQueue,
  RecordBatchFileWriter,
  RecordBatchReader,
  type RecordBatch,
  type Schema,
  type Table,
  tableFromIPC,
} from 'apache-arrow';
import { LibvqError } from '@libvq/index-core';
import { writeAtomic, writeChunks } from '@libvq/index-core/util';
import { fileSize, openForRead, readExactly } from '../io/read-file.js';
import { type ByteSource, type IpcScan, scanArrowIpc, sourceOfBytes } from './ipc-scan.js';

/**
 * arrow-js's writers push their output into an AsyncByteQueue that nobody drains until the end; this
 * queue instead keeps the chunks (views on the batch buffers, no copy) for us to take after each batch,
 * so a file of any size is written with one batch in memory at a time.
 */
class TakeQueue extends AsyncByteQueue {
  private pending: Uint8Array[] = [];
  override write(value: ArrayBufferView | ArrayBuffer | string): void {
    if (typeof value === 'string') value = new TextEncoder().encode(value);
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (bytes.byteLength > 0) this.pending.push(bytes);
  }
  take(): Uint8Array[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/**
 * Incremental Arrow IPC file writer on an open file handle. Nothing is written until the first batch
 * (or finish, which writes the schema of an empty table).
 */
export class ArrowFileSink {
  private readonly queue = new TakeQueue();
  private readonly writer = new RecordBatchFileWriter();
  private started = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly schema: Schema,
  ) {}

  async write(batch: RecordBatch): Promise<void> {
    this.start();
    this.writer.write(batch);
    await writeChunks(this.fh, this.queue.take());
  }

  async finish(): Promise<void> {
    this.start();
    this.writer.finish();
    await writeChunks(this.fh, this.queue.take());
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.writer.reset(this.queue, this.schema);
  }
}

/** Writes batches as an Arrow IPC file (temporary name, then rename). */
export async function writeArrowFile(
  path: string,
  schema: Schema,
  batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
): Promise<void> {
  await writeAtomic(path, async (fh) => {
    const sink = new ArrowFileSink(fh, schema);
    for await (const b of batches) await sink.write(b);
    await sink.finish();
  });
}

/**
 * Checks that a file is Arrow IPC: the file format ("ARROW1" at both ends) or the stream format (messages from
 * byte 0, each after the 0xFFFFFFFF continuation marker, as LanceDB and pyarrow's `new_stream` write); then
 * validates its structure (ipc-scan.ts) before apache-arrow is given it.
 */
async function scanFile(fh: FileHandle, path: string, bytes?: Uint8Array): Promise<IpcScan> {
  const size = bytes?.byteLength ?? (await fileSize(fh));
  const head = new Uint8Array(Math.min(8, size));
  if (bytes) head.set(bytes.subarray(0, head.length));
  else await readExactly(fh, head, 0, path, 'the Arrow magic');
  const isFile = new TextDecoder('latin1').decode(head.subarray(0, 6)) === 'ARROW1';
  const isStream = size >= 8 && head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff;
  if (!isFile && !isStream) {
    throw new LibvqError('BAD_FILE', `${path}: not an Arrow IPC file or stream (neither the file magic "ARROW1" nor a stream's 0xFFFFFFFF marker at byte 0)`);
  }
  return scanArrowIpc(bytes ? sourceOfBytes(bytes) : sourceOfHandle(fh, size, path), path);
}

function sourceOfHandle(fh: FileHandle, size: number, path: string): ByteSource {
  return {
    size,
    read: async (position, length) => {
      const out = new Uint8Array(length);
      await readExactly(fh, out, position, path, 'Arrow metadata');
      return out;
    },
  };
}

function wrap(err: unknown, path: string): LibvqError {
  if (err instanceof LibvqError) return err;
  return new LibvqError('BAD_FILE', `${path}: cannot read as an Arrow IPC file (${(err as Error).message})`, { cause: err });
}

function mismatch(path: string, what: string): LibvqError {
  return new LibvqError('BAD_FILE', `${path}: apache-arrow read ${what}, which the file's validated structure contradicts (corrupted file)`);
}

/** Reads a whole Arrow IPC file or stream as a Table (for artifacts that fit in memory). */
export async function readArrowTable(path: string): Promise<Table> {
  const fh = await openForRead(path);
  try {
    const bytes = new Uint8Array(await fileSize(fh));
    await readExactly(fh, bytes, 0, path, 'the Arrow file');
    const scan = await scanFile(fh, path, bytes);
    const table = tableFromIPC(bytes);
    const rows = table.batches.map((b) => b.numRows);
    if (rows.length !== scan.batchRows.length || rows.some((r, i) => r !== scan.batchRows[i]) || table.schema.fields.length !== scan.schema.fields.length) {
      throw mismatch(path, `${rows.length} batches of ${rows.join(', ')} rows and ${table.schema.fields.length} columns`);
    }
    return table;
  } catch (err) {
    throw wrap(err, path);
  } finally {
    await fh.close();
  }
}

/**
 * Opens an Arrow IPC file or stream for batch-by-batch reading (one batch in memory at a time). The caller checks the schema, then iterates; close() releases the file.
 * `rows` is the total the validated structure promises; the batches are checked against it as they come.
 */
export async function openArrowBatches(path: string): Promise<{ schema: Schema; rows: number; batches: AsyncIterable<RecordBatch>; close: () => Promise<void> }> {
  const fh = await openForRead(path);
  try {
    const scan = await scanFile(fh, path);
    const reader = await RecordBatchReader.from(fh);
    await reader.open();
    const schema = reader.schema;
    if (schema.fields.length !== scan.schema.fields.length) throw mismatch(path, `${schema.fields.length} columns`);
    async function* batches(): AsyncGenerator<RecordBatch> {
      let i = 0;
      try {
        for await (const b of reader) {
          if (i >= scan.batchRows.length || b.numRows !== scan.batchRows[i]) throw mismatch(path, `batch ${i} of ${b.numRows} rows`);
          i++;
          yield b;
        }
      } catch (err) {
        throw wrap(err, path);
      }
      if (i !== scan.batchRows.length) throw mismatch(path, `${i} batches where the file holds ${scan.batchRows.length}`);
    }
    return { schema, rows: scan.totalRows, batches: batches(), close: () => fh.close().catch(() => undefined) };
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw wrap(err, path);
  }
}
