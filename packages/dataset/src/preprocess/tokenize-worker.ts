/**
 * Worker-thread entry of the tokenizer pool: builds the tokenizer from the factory in workerData, says
 * "ready" (with the tokenizer's name and separator), then answers each request with the token rows,
 * transferring their buffers. Errors travel back as messages with their LibvqError code.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LibvqError } from '@libvq/index-core';
import { buildTokenizer } from '../tokenize/build-tokenizer.js';
import type { TextTokenizer, TokenizerFactory } from '../tokenize/text-tokenizer.js';
import { tokenizeTexts } from '../tokenize/tokenize-texts.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

const port = parentPort!;

function errorReply(id: number, err: unknown): WorkerReply {
  return { type: 'error', id, message: (err as Error).message ?? String(err), code: err instanceof LibvqError ? err.code : undefined };
}

function serve(tokenizer: TextTokenizer): void {
  port.postMessage({ type: 'ready', name: tokenizer.name, separator: tokenizer.separator } satisfies WorkerReply);
  port.on('message', (req: WorkerRequest) => {
    try {
      const rows = tokenizeTexts(tokenizer, req.texts, req.maxLength);
      const reply: WorkerReply = { type: 'result', id: req.id, offsets: rows.offsets, values: rows.values };
      port.postMessage(reply, [rows.offsets.buffer as ArrayBuffer, rows.values.buffer as ArrayBuffer]);
    } catch (err) {
      port.postMessage(errorReply(req.id, err));
    }
  });
}

// No top-level await: the package also ships a CommonJS build of this entry.
buildTokenizer((workerData as { factory: TokenizerFactory }).factory).then(serve, (err: unknown) => port.postMessage(errorReply(-1, err)));
