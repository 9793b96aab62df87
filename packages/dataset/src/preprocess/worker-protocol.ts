/** Messages between the tokenizer pool and its worker threads. */
export interface WorkerRequest {
  id: number;
  texts: string[];
  maxLength: number;
}

export type WorkerReply =
  | { type: 'ready'; name: string; separator: string | null }
  | { type: 'result'; id: number; offsets: Int32Array; values: Int32Array }
  /** id -1: the tokenizer could not be built. */
  | { type: 'error'; id: number; message: string; code?: string };
