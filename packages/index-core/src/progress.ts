/** Options every long operation takes: a way to stop it and a way to watch it. */
export interface LongOperationOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}
