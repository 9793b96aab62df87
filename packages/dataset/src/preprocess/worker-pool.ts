import type { Worker } from 'node:worker_threads';
import { LibvqError, type LibvqErrorCode } from '@libvq/index-core';
import { invalidArgument, isTypeScriptModule, spawnWorker } from '@libvq/index-core/util';
import type { TokenRows } from '../arrow/tokens-table.js';
import { checkTokenizerFactory } from '../tokenize/build-tokenizer.js';
import type { TokenizerFactory } from '../tokenize/text-tokenizer.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

// Built packages load dist/tokenize-worker.js; from TypeScript sources (tests, `node --import tsx`) the entry
// is tokenize-worker.ts, started through index-core's tsx bootstrap (shared with its index threads), which
// is also needed when the tokenizer factory's module is a .ts file.
function spawn(factory: TokenizerFactory): Worker {
  const here = import.meta.url;
  const entry = new URL(`./tokenize-worker.${isTypeScriptModule(here) ? 'ts' : 'js'}`, here);
  return spawnWorker(entry, { workerData: { factory }, needsTsx: /\.[cm]?ts$/.test(factory.module), what: 'tokenizer workers' });
}

interface Pending {
  resolve: (r: TokenRows) => void;
  reject: (e: Error) => void;
}

/** One worker and the requests it has not answered yet. */
class PoolWorker {
  readonly pending = new Map<number, Pending>();
  ready: Promise<{ name: string; separator: string | null }>;
  private failure: Error | undefined;

  constructor(readonly worker: Worker) {
    this.ready = new Promise((resolve, reject) => {
      worker.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready') resolve({ name: msg.name, separator: msg.separator });
        else if (msg.type === 'result') {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          p?.resolve({ rows: msg.offsets.length - 1, offsets: msg.offsets, values: msg.values });
        } else {
          const err = new LibvqError((msg.code as LibvqErrorCode | undefined) ?? 'INVALID_ARGUMENT', msg.message);
          if (msg.id < 0) {
            reject(err);
            this.fail(err);
          } else {
            const p = this.pending.get(msg.id);
            this.pending.delete(msg.id);
            p?.reject(err);
          }
        }
      });
      worker.on('error', (e) => {
        const err = new LibvqError('IO', `tokenizer worker failed: ${e.message}`, { cause: e });
        reject(err);
        this.fail(err);
      });
      worker.on('exit', (code) => {
        const err = new LibvqError('IO', `tokenizer worker exited (code ${code})`);
        reject(err);
        this.fail(err);
      });
    });
    // A start-up failure is reported by start(); keep it from also surfacing as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  send(req: WorkerRequest): Promise<TokenRows> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      this.worker.postMessage(req);
    });
  }
}

/**
 * A fixed set of worker threads, each with its own tokenizer built from the same factory. Requests go
 * round-robin; the caller awaits replies in request order, so output order never depends on timing.
 */
export class TokenizerPool {
  private next = 0;
  private seq = 0;

  private constructor(
    private readonly workers: PoolWorker[],
    readonly name: string,
    readonly separator: string | null,
  ) {}

  static async start(factory: TokenizerFactory, size: number): Promise<TokenizerPool> {
    checkTokenizerFactory(factory, 'tokenizer');
    if (!Number.isInteger(size) || size < 1) throw invalidArgument('workers', 'a positive integer', size);
    const workers: PoolWorker[] = [];
    try {
      for (let i = 0; i < size; i++) workers.push(new PoolWorker(spawn(factory)));
      const infos = await Promise.all(workers.map((w) => w.ready));
      return new TokenizerPool(workers, infos[0].name, infos[0].separator);
    } catch (err) {
      await Promise.all(workers.map((w) => w.worker.terminate()));
      throw err;
    }
  }

  get size(): number {
    return this.workers.length;
  }

  tokenize(texts: string[], maxLength: number): Promise<TokenRows> {
    const w = this.workers[this.next];
    this.next = (this.next + 1) % this.workers.length;
    return w.send({ id: this.seq++, texts, maxLength });
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.worker.removeAllListeners('exit');
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
