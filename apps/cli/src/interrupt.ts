import { LibvqError } from '@libvq/index-core';

/**
 * Ctrl-C around the parts of a command that write files. Every writer writes through a temporary name and
 * renames it into place (writeAtomic, writeIndex, writeDirAtomic), so an output is complete or absent; what
 * this adds is that the temporary itself is not left behind:
 *
 * - Outside these sections no SIGINT listener is installed, so Ctrl-C during synchronous computation
 *   (k-means, PQ training, search) ends the process at once; no file is open then.
 * - Inside, SIGINT aborts `signal`: asynchronous writers (preprocessData, inference, demo) stop at their next
 *   batch and their writeAtomic removes its temporary. A synchronous write (writeIndex, a checkpoint) runs to
 *   its rename first, since the signal is only delivered when the event loop turns.
 *
 * An interrupted section throws LibvqError('ABORTED'), so the command exits non-zero with one line.
 */
export async function interruptible<T>(what: string, fn: (signal: AbortSignal) => Promise<T> | T): Promise<T> {
  const ac = new AbortController();
  const onSigint = () => {
    if (ac.signal.aborted) return;
    console.error(`\nlibvq: interrupted (Ctrl-C) while ${what}; stopping, no file is left half-written`);
    ac.abort(new LibvqError('ABORTED', `interrupted by Ctrl-C while ${what}`));
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await fn(ac.signal);
    // A Ctrl-C that came during synchronous work is still queued: let the loop deliver it to this listener
    // (removing the listener first would drop it, and the user's Ctrl-C with it). libuv reads pending signals
    // in its poll phase; the first immediate may run in this loop iteration's check phase, before any poll,
    // the second runs after the next poll.
    for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    if (ac.signal.aborted) throw ac.signal.reason as LibvqError;
    return result;
  } catch (e) {
    // The library's own ABORTED error names the step it stopped in; the user wants to hear it was Ctrl-C.
    if (ac.signal.aborted && !(e === ac.signal.reason)) throw new LibvqError('ABORTED', `interrupted by Ctrl-C while ${what}`, { cause: e });
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
