import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/glove-rounds.js';

describe('glove-rounds arguments', () => {
  it('--same-index: faiss searches our index file, so a faiss --reference to build cannot go with it', () => {
    expect(parseArgs(['--backends', 'js']).sameIndex).toBe(false);
    expect(parseArgs(['--backends', 'js', '--same-index', '--factory', 'IVF1024,PQ20x8']).sameIndex).toBe(true);
    expect(() => parseArgs(['--backends', 'js', '--same-index', '--reference', 'IVF1024,PQ20x8'])).toThrow(/--same-index .* --reference .* pass one or the other/);
  });
});
