import { readFile } from 'node:fs/promises';
import { LibvqError } from '@libvq/index-core';

export type JsonObject = Record<string, unknown>;

/**
 * Reads a JSON file that must hold an object (model directories' tokenizer.json, config.json, ...).
 * A missing optional file gives null; anything unreadable or not an object is an error naming the file.
 */
export async function readJsonObject(path: string, required: true): Promise<JsonObject>;
export async function readJsonObject(path: string, required: boolean): Promise<JsonObject | null>;
export async function readJsonObject(path: string, required: boolean): Promise<JsonObject | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LibvqError('IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object');
    return v as JsonObject;
  } catch (err) {
    throw new LibvqError('BAD_FILE', `${path}: not a valid JSON object (${(err as Error).message})`, { cause: err });
  }
}
