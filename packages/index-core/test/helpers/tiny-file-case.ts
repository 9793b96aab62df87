import { deserializeIndex, indexFactory, serializeIndex } from '../../src/index.js';

// Run in a fresh process by allocation-limits.test.ts: reads one tiny hostile faiss file and prints how far the
// resident set grew (MB) and the error's code. Each file is a few hundred bytes declaring a huge structure.

function patched(factory: string, find: bigint, value: bigint): Uint8Array {
  const bytes = serializeIndex(indexFactory(8, factory, 'l2'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 8 <= bytes.length; i++) {
    if (view.getBigUint64(i, true) === find) {
      view.setBigUint64(i, value, true);
      return bytes;
    }
  }
  throw new Error(`no ${find} in the ${factory} file`);
}

const cases: Record<string, () => Uint8Array> = {
  // An untrained IVF whose header declares 2^22 lists (139 bytes).
  'ivf-nlist': () => patched('IVF7,Flat', 7n, 1n << 22n),
  // A PQ whose sub-quantizers declare 2^8 codewords of dimension 2^20 (a 1 GiB codebook).
  'pq-dim': () => {
    const bytes = serializeIndex(indexFactory(8, 'PQ1x8', 'l2'));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setInt32(4, 1 << 20, true);
    for (let i = 8; i + 4 <= bytes.length; i++) {
      if (view.getInt32(i, true) === 8) {
        view.setInt32(i, 1 << 20, true);
        break;
      }
    }
    return bytes.subarray(0, 69);
  },
};

const name = process.argv[2];
const base = process.resourceUsage().maxRSS;
let code = 'none';
try {
  deserializeIndex(cases[name]());
} catch (e) {
  code = (e as { code?: string }).code ?? 'uncoded';
}
console.log(JSON.stringify({ growthMb: (process.resourceUsage().maxRSS - base) / 1024, code }));
