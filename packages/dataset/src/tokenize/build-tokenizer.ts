import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LibvqError } from '@libvq/index-core';
import type { TextTokenizer, TokenizerFactory } from './text-tokenizer.js';

/** Checks that a value is a TokenizerFactory; `source` names where it came from in errors. */
export function checkTokenizerFactory(f: unknown, source: string): TokenizerFactory {
  const o = f as Partial<TokenizerFactory> | null;
  if (!o || typeof o !== 'object' || typeof o.module !== 'string' || typeof o.exportName !== 'string' || (o.args !== undefined && !Array.isArray(o.args))) {
    throw new LibvqError('INVALID_ARGUMENT', `${source}: expected a TokenizerFactory { module: string, exportName: string, args?: unknown[] }`);
  }
  return o as TokenizerFactory;
}

/** Checks the shape of a TextTokenizer (a plain JS caller, or a factory returning something else). */
export function checkTextTokenizer(t: unknown, source: string): TextTokenizer {
  const o = t as Partial<TextTokenizer> | null;
  const missing: string[] = [];
  if (!o || typeof o !== 'object') missing.push('an object');
  else {
    if (typeof o.name !== 'string') missing.push('name: string');
    if (typeof o.encode !== 'function') missing.push('encode(text): Int32Array');
    if (typeof o.isSpecial !== 'function') missing.push('isSpecial(id): boolean');
    if (o.separator !== null && typeof o.separator !== 'string') missing.push('separator: string | null');
  }
  if (missing.length > 0) throw new LibvqError('INVALID_ARGUMENT', `${source}: not a TextTokenizer (needs ${missing.join(', ')})`);
  return o as TextTokenizer;
}

/** A module specifier usable from any file: absolute paths become file: URLs. */
export function moduleUrl(module: string): string {
  return isAbsolute(module) ? pathToFileURL(module).href : module;
}

/** Runs a factory: `(await import(module))[exportName](...args)`, and checks what it returns. */
export async function buildTokenizer(factory: TokenizerFactory): Promise<TextTokenizer> {
  const f = checkTokenizerFactory(factory, 'tokenizer factory');
  const where = `tokenizer factory ${f.exportName} from ${f.module}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleUrl(f.module))) as Record<string, unknown>;
  } catch (err) {
    throw new LibvqError('INVALID_ARGUMENT', `${where}: cannot import the module (${(err as Error).message})`, { cause: err });
  }
  const fn = mod[f.exportName];
  if (typeof fn !== 'function') throw new LibvqError('INVALID_ARGUMENT', `${where}: the module has no function export "${f.exportName}"`);
  const tok = await (fn as (...a: unknown[]) => unknown)(...(f.args ?? []));
  return checkTextTokenizer(tok, where);
}
