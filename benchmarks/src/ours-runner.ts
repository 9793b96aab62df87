import type { ChildCode } from './built-child.js';
import { runTsChild } from './ts-child.js';
import type { OursResult, OursSpec, SystemRun } from './system-run.js';

/** libvq-ts on the spec's files, in a child process of its own (ours-child.ts). */
export async function runOurs(spec: OursSpec, version: string, code: ChildCode = 'source'): Promise<SystemRun> {
  const label = `libvq-ts (${spec.backend}${spec.threads > 1 ? `, ${spec.threads} threads` : ''})`;
  const r = await runTsChild<OursResult>(new URL('./ours-child.ts', import.meta.url), spec, `${label} ${spec.factory}`, code);
  return { system: 'libvq-ts', label, version, ...r };
}
