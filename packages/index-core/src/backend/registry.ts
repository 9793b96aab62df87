import { invalidArgument } from '../errors.js';
import { jsBackend } from './js/index.js';
import type { Backend } from './types.js';

const backends = new Map<string, Backend>([['js', jsBackend]]);

/** Registers another backend (e.g. gpujs) under its name. */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/** The backend named, or js by default. A name that is not registered is an error, never a silent fallback. */
export function getBackend(name: string | Backend | undefined): Backend {
  if (name === undefined) return jsBackend;
  if (typeof name !== 'string') return name;
  const b = backends.get(name);
  if (!b) throw invalidArgument('backend', `one of ${[...backends.keys()].map((k) => `'${k}'`).join(', ')}`, name);
  return b;
}
