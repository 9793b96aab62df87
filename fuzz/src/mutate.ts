/** A small seeded generator (mulberry32): the fuzz cases are reproducible from (seed, case number) alone. */
export function rng32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values that sit on the edges sizes and counts are checked against. */
const INTERESTING_32 = [0, 1, -1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x10000, 0x7fffffff, -0x80000000, 0x40000000];

export interface Mutation {
  bytes: Uint8Array;
  /** What was done, for the report of a failing case. */
  what: string;
}

type Mutator = (src: Uint8Array, r: () => number, text: boolean) => Mutation;

const pick = (r: () => number, n: number) => Math.floor(r() * n);

const MUTATORS: Mutator[] = [
  (s, r) => {
    const out = s.slice();
    const at = pick(r, s.length);
    const v = pick(r, 256);
    out[at] = v;
    return { bytes: out, what: `byte ${at} = 0x${v.toString(16)}` };
  },
  (s, r) => {
    const out = s.slice();
    const at = pick(r, s.length);
    const bit = pick(r, 8);
    out[at] ^= 1 << bit;
    return { bytes: out, what: `bit ${bit} of byte ${at} flipped` };
  },
  (s, r) => {
    const out = s.slice();
    const at = pick(r, s.length);
    out[at] = r() < 0.5 ? 0 : 0xff;
    return { bytes: out, what: `byte ${at} = 0x${out[at].toString(16)}` };
  },
  (s, r) => {
    if (s.length < 4) return MUTATORS[0](s, r, false);
    const out = s.slice();
    const at = pick(r, s.length - 3);
    const v = INTERESTING_32[pick(r, INTERESTING_32.length)];
    new DataView(out.buffer).setInt32(at, v | 0, true);
    return { bytes: out, what: `int32 at ${at} = ${v}` };
  },
  (s, r) => {
    if (s.length < 8) return MUTATORS[0](s, r, false);
    const out = s.slice();
    const at = pick(r, s.length - 7);
    const v = [0n, 1n, -1n, 1n << 31n, 1n << 32n, 1n << 40n, 1n << 53n, (1n << 62n)][pick(r, 8)];
    new DataView(out.buffer).setBigInt64(at, v, true);
    return { bytes: out, what: `int64 at ${at} = ${v}` };
  },
  (s, r) => {
    const at = pick(r, s.length);
    return { bytes: s.slice(0, at), what: `truncated to ${at} bytes` };
  },
  (s, r) => {
    const n = 1 + pick(r, 64);
    const out = new Uint8Array(s.length + n);
    out.set(s);
    for (let i = s.length; i < out.length; i++) out[i] = pick(r, 256);
    return { bytes: out, what: `${n} random bytes appended` };
  },
  (s, r) => {
    const at = pick(r, s.length);
    const n = 1 + pick(r, Math.min(64, s.length - at));
    const out = new Uint8Array(s.length - n);
    out.set(s.subarray(0, at));
    out.set(s.subarray(at + n), at);
    return { bytes: out, what: `${n} bytes deleted at ${at}` };
  },
  (s, r) => {
    const at = pick(r, s.length);
    const n = 1 + pick(r, 16);
    const out = new Uint8Array(s.length + n);
    out.set(s.subarray(0, at));
    for (let i = 0; i < n; i++) out[at + i] = pick(r, 256);
    out.set(s.subarray(at), at + n);
    return { bytes: out, what: `${n} random bytes inserted at ${at}` };
  },
  (s, r) => {
    const a = pick(r, s.length);
    const n = 1 + pick(r, Math.min(256, s.length - a));
    const b = pick(r, s.length);
    const out = new Uint8Array(s.length + n);
    out.set(s.subarray(0, b));
    out.set(s.subarray(a, a + n), b);
    out.set(s.subarray(b), b + n);
    return { bytes: out, what: `${n} bytes from ${a} duplicated at ${b}` };
  },
  // Text formats: the characters their parsers split on.
  (s, r, text) => {
    const out = s.slice();
    const at = pick(r, s.length);
    const chars = text ? [0x0a, 0x0d, 0x09, 0x20, 0x2d, 0x22, 0x00] : [0x00, 0xff];
    out[at] = chars[pick(r, chars.length)];
    return { bytes: out, what: `byte ${at} = 0x${out[at].toString(16)}` };
  },
];

/** One to three mutations of `src`, chosen by the generator. */
export function mutate(src: Uint8Array, r: () => number, text = false): Mutation {
  let bytes = src;
  const whats: string[] = [];
  const rounds = 1 + (r() < 0.25 ? pick(r, 3) : 0);
  for (let i = 0; i < rounds; i++) {
    if (bytes.length === 0) break;
    const m = MUTATORS[pick(r, MUTATORS.length)](bytes, r, text);
    bytes = m.bytes;
    whats.push(m.what);
  }
  return { bytes, what: whats.join('; ') || 'empty input' };
}
