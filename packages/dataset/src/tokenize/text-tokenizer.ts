/**
 * What preprocessing needs from a tokenizer. @libvq/encoder's HfTokenizer (tokenizer.json through
 * @huggingface/tokenizers) satisfies it; any other tokenizer can too.
 *
 * Truncation is done here, not by the tokenizer, so that every tokenizer truncates the same way: a
 * sequence longer than max_length keeps its first token if it is special ([CLS]) and its last token if
 * it is special ([SEP]) and cuts the middle, as LibVQ's TokensCache does.
 */
export interface TextTokenizer {
  /** Stored in the token files' metadata (libvq.tokenizer), so readers can tell what made the ids. */
  readonly name: string;
  /** Token ids of one text with the model's special tokens added ([CLS] ... [SEP]), not truncated. */
  encode(text: string): Int32Array;
  /** Whether an id is a special token (decides what truncation keeps at both ends). */
  isSpecial(id: number): boolean;
  /** Token placed between a record's fields ("[SEP]" for BERT); null joins the fields with a space. */
  readonly separator: string | null;
  /**
   * How to build this same tokenizer inside a worker thread (preprocessData with workers > 1). Without it,
   * pass a TokenizerFactory to preprocessData instead of the instance.
   */
  readonly factory?: TokenizerFactory;
}

/**
 * A recipe a worker thread can run to construct a tokenizer: `(await import(module))[exportName](...args)`,
 * which returns a TextTokenizer or a promise of one. `module` must be importable from anywhere (an absolute
 * path or file: URL, e.g. `import.meta.resolve('@libvq/encoder')`); args must be structured-cloneable.
 * Example: `{ module: import.meta.resolve('@libvq/encoder'), exportName: 'loadTokenizer', args: [modelDir] }`.
 */
export interface TokenizerFactory {
  module: string;
  exportName: string;
  args?: unknown[];
}

/** Joins a record's text fields with the tokenizer's separator token (LibVQ joins title and body so). */
export function joinFields(fields: readonly string[], separator: string | null): string {
  if (fields.length === 1) return fields[0];
  return separator === null ? fields.join(' ') : fields.join(` ${separator} `);
}
