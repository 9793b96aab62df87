import { basename, join, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { LibvqError } from '@libvq/index-core';
import { readJsonObject, type JsonObject } from '../json-file.js';
import { HfTokenizer } from './hf-tokenizer.js';

type Json = JsonObject;

/** A special token as tokenizer_config.json spells it: a string or {content: string}. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

/** The separator token from the post-processor (BertProcessing/RobertaProcessing/TemplateProcessing) or config. */
function findSeparator(tok: Json, config: Json): string | null {
  const fromConfig = tokenString(config.sep_token);
  if (fromConfig) return fromConfig;
  const pp = tok.post_processor as Json | null | undefined;
  const procs = pp && pp.type === 'Sequence' && Array.isArray(pp.processors) ? (pp.processors as Json[]) : pp ? [pp] : [];
  for (const p of procs) {
    if ((p.type === 'BertProcessing' || p.type === 'RobertaProcessing') && Array.isArray(p.sep)) return String(p.sep[0]);
    if (p.type === 'TemplateProcessing' && Array.isArray(p.single)) {
      // The special token that ends the single-sequence template ([CLS] $A [SEP]).
      const last = p.single[p.single.length - 1] as Json | undefined;
      const sp = last?.SpecialToken as Json | undefined;
      if (sp && typeof sp.id === 'string') return sp.id;
    }
  }
  return null;
}

/**
 * Loads `tokenizer.json` (+ optional `tokenizer_config.json`) from a model directory.
 * The pad id comes from tokenizer.json's padding section, tokenizer_config's pad_token, or a [PAD]/<pad>
 * token; without any, loading fails (guessing 0 could feed a real word as padding).
 */
export async function loadTokenizer(dir: string): Promise<HfTokenizer> {
  const tokPath = join(dir, 'tokenizer.json');
  const tok = await readJsonObject(tokPath, true);
  const config = (await readJsonObject(join(dir, 'tokenizer_config.json'), false)) ?? {};
  const model = tok.model as Json | undefined;
  if (!model || typeof model !== 'object' || !model.vocab) throw new LibvqError('BAD_FILE', `${tokPath}: field "model.vocab" is missing`);
  if (!Array.isArray(tok.added_tokens)) tok.added_tokens = [];
  // The JS library builds WordLevel models through its "Legacy" path, which reads the unknown token from
  // the config, not from the model section (where tokenizer.json puts it).
  const cfg: Json = { ...config };
  if (model.type === 'WordLevel' && cfg.unk_token === undefined && typeof model.unk_token === 'string') cfg.unk_token = model.unk_token;
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tok, cfg);
  } catch (err) {
    throw new LibvqError('BAD_FILE', `${tokPath}: @huggingface/tokenizers cannot load it (${(err as Error).message})`, { cause: err });
  }
  const padding = tok.padding as Json | null | undefined;
  let padId: number | undefined;
  if (padding && typeof padding.pad_id === 'number') padId = padding.pad_id;
  const padToken = tokenString(config.pad_token) ?? (padding && typeof padding.pad_token === 'string' ? padding.pad_token : undefined);
  if (padId === undefined && padToken !== undefined) padId = tokenizer.token_to_id(padToken);
  for (const t of ['[PAD]', '<pad>']) if (padId === undefined) padId = tokenizer.token_to_id(t);
  if (padId === undefined) {
    throw new LibvqError('BAD_FILE', `${tokPath}: no pad token (expected "padding.pad_id", tokenizer_config.json "pad_token", or a [PAD]/<pad> token)`);
  }
  // import.meta.url is this module (source) or the bundle (dist): both export loadTokenizer.
  const factory = { module: import.meta.url, exportName: 'loadTokenizer', args: [resolve(dir)] };
  return new HfTokenizer(tokenizer, { name: basename(resolve(dir)), padId, separator: findSeparator(tok, config), factory });
}
