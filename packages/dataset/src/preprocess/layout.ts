import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import { readIdMapFile } from '../arrow/ids-table.js';
import { type TokenRows, type TokensInfo, readTokenFile, streamTokenFile } from '../arrow/tokens-table.js';
import type { IdMap } from '../raw/id-map.js';

/**
 * Files of a preprocessed directory, per prefix (`docs`, `train-queries`, `dev-queries`, ...):
 *   {prefix}.tokens.arrow   input_ids: List<Int32>, length: Int32 (row i = row offset i)
 *   {prefix}.ids.arrow      id: Utf8 (external id of row offset i)
 *   {mode}-rels.arrow       qid, doc_id, grade: the judgments, checked against the id maps
 *   preprocess.json         what was written, with which tokenizer and lengths
 */
export const MANIFEST_FILE = 'preprocess.json';
export const DOCS_PREFIX = 'docs';

export const tokensPath = (dir: string, prefix: string): string => join(dir, `${prefix}.tokens.arrow`);
export const idsPath = (dir: string, prefix: string): string => join(dir, `${prefix}.ids.arrow`);
export const relsPath = (dir: string, mode: string): string => join(dir, `${mode}-rels.arrow`);

/** A prefix's raw text file in a LibVQ data directory: collection.tsv for `docs`, `{prefix}.tsv` for queries. */
export const rawTextPath = (dataDir: string, prefix: string): string => join(dataDir, prefix === DOCS_PREFIX ? 'collection.tsv' : `${prefix}.tsv`);

/** A raw text file of a LibVQ data directory and the prefix its tokens get. */
export interface RawSource {
  prefix: string;
  file: string;
  isQuery: boolean;
  /** For queries: the mode (train/dev/test...), whose `{mode}-rels.tsv` judges them. */
  mode?: string;
}

/** collection.tsv -> docs, and every {mode}-queries.tsv -> {mode}-queries (sorted by name). */
export async function findRawSources(dataDir: string): Promise<RawSource[]> {
  let names: string[];
  try {
    names = await readdir(dataDir);
  } catch (err) {
    throw new LibvqError('IO', `cannot list data directory ${dataDir}: ${(err as Error).message}`, { cause: err });
  }
  if (!names.includes('collection.tsv')) {
    throw new LibvqError('IO', `${dataDir}: no collection.tsv (LibVQ layout: collection.tsv, {train,dev,test}-queries.tsv, {mode}-rels.tsv)`);
  }
  const out: RawSource[] = [{ prefix: DOCS_PREFIX, file: rawTextPath(dataDir, DOCS_PREFIX), isQuery: false }];
  for (const n of names.sort()) {
    const m = /^(.+)-queries\.tsv$/.exec(n);
    if (m) out.push({ prefix: `${m[1]}-queries`, file: rawTextPath(dataDir, `${m[1]}-queries`), isQuery: true, mode: m[1] });
  }
  return out;
}

/** A prefix's token rows, all in memory. */
export function readTokens(dir: string, prefix: string): Promise<TokenRows & TokensInfo> {
  return readTokenFile(tokensPath(dir, prefix));
}

/** A prefix's token rows, batch by batch (bounded memory). */
export function streamTokens(dir: string, prefix: string): ReturnType<typeof streamTokenFile> {
  return streamTokenFile(tokensPath(dir, prefix));
}

/** A prefix's external id <-> row offset map. */
export function readIdMap(dir: string, prefix: string): Promise<IdMap> {
  return readIdMapFile(idsPath(dir, prefix));
}
