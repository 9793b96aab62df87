import { invalidArgument } from '../errors.js';
import { createGpujsBackend } from './gpujs/index.js';
import { jsBackend } from './js/index.js';
import { createNativeBackend } from './native/index.js';
import type { Backend } from './types.js';

const backends = new Map<string, Backend>([['js', jsBackend]]);
/**
 * Backends made on first use: 'gpujs' loads gpu.js (and, in mode 'gpu', opens a GL context), 'native' loads
 * onnxruntime-node, only when asked for, so importing index-core never does. Thread-pool workers make theirs
 * the same way from the name.
 */
const lazy = new Map<string, () => Backend>([
  ['gpujs', () => createGpujsBackend()],
  ['native', () => createNativeBackend()],
]);

/** The backends every thread can make from the name alone (a worker has no backend registered at run time). */
export function isBuiltinBackend(name: string): boolean {
  return name === 'js' || lazy.has(name);
}

/** Registers another backend under its name (replacing one registered, or made, under the same name). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/** The backend named, or js by default. A name that is not registered is an error, never a silent fallback. */
export function getBackend(name: string | Backend | undefined): Backend {
  if (name === undefined) return jsBackend;
  if (typeof name !== 'string') return name;
  let b = backends.get(name);
  if (!b) {
    const make = lazy.get(name);
    if (!make) throw invalidArgument('backend', `one of ${[...backends.keys(), ...lazy.keys()].filter((k, i, a) => a.indexOf(k) === i).map((k) => `'${k}'`).join(', ')}`, name);
    b = make();
    backends.set(name, b);
  }
  return b;
}
