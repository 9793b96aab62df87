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
import { writeAtomic, writeChunks } from '../io/atomic-file.js';
import { fileSize, openForRead, readExactly } from '../io/read-file.js';

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

const ARROW_FILE_MAGIC = 'ARROW1';

/**
 * Checks that a file is Arrow IPC: the file format ("ARROW1" at both ends) or the stream format (messages from
 * byte 0, each after the 0xFFFFFFFF continuation marker, as LanceDB and pyarrow's `new_stream` write). A file
 * cut short is named as such.
 */
async function checkMagic(fh: FileHandle, path: string): Promise<'file' | 'stream'> {
  const size = await fileSize(fh);
  const head = new Uint8Array(Math.min(8, size));
  await readExactly(fh, head, 0, path, 'the Arrow magic');
  const text = new TextDecoder('latin1').decode(head.subarray(0, 6));
  if (text !== ARROW_FILE_MAGIC) {
    const isStream = size >= 8 && head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff;
    if (isStream) return 'stream';
    throw new LibvqError('BAD_FILE', `${path}: not an Arrow IPC file or stream (neither the file magic "ARROW1" nor a stream's 0xFFFFFFFF marker at byte 0)`);
  }
  if (size < 6 + 2 + 4 + 6) throw new LibvqError('BAD_FILE', `${path}: truncated Arrow IPC file (${size} bytes)`);
  const tail = new Uint8Array(6);
  await readExactly(fh, tail, size - 6, path, 'the trailing Arrow magic');
  if (new TextDecoder('latin1').decode(tail) !== ARROW_FILE_MAGIC) {
    throw new LibvqError('BAD_FILE', `${path}: truncated Arrow IPC file (the trailing "ARROW1" magic is missing)`);
  }
  return 'file';
}

function wrap(err: unknown, path: string): LibvqError {
  if (err instanceof LibvqError) return err;
  return new LibvqError('BAD_FILE', `${path}: cannot read as an Arrow IPC file (${(err as Error).message})`, { cause: err });
}

/** Reads a whole Arrow IPC file or stream as a Table (for artifacts that fit in memory). */
export async function readArrowTable(path: string): Promise<Table> {
  const fh = await openForRead(path);
  try {
    await checkMagic(fh, path);
    const bytes = new Uint8Array(await fileSize(fh));
    await readExactly(fh, bytes, 0, path, 'the Arrow file');
    return tableFromIPC(bytes);
  } catch (err) {
    throw wrap(err, path);
  } finally {
    await fh.close();
  }
}

/**
 * Opens an Arrow IPC file or stream for batch-by-batch reading (one batch in memory at a time). The caller checks the schema, then iterates; close() releases the file.
 */
export async function openArrowBatches(path: string): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch>; close: () => Promise<void> }> {
  const fh = await openForRead(path);
  try {
    await checkMagic(fh, path);
    const reader = await RecordBatchReader.from(fh);
    await reader.open();
    const schema = reader.schema;
    async function* batches(): AsyncGenerator<RecordBatch> {
      try {
        for await (const b of reader) yield b;
      } catch (err) {
        throw wrap(err, path);
      }
    }
    return { schema, batches: batches(), close: () => fh.close().catch(() => undefined) };
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw wrap(err, path);
  }
}
