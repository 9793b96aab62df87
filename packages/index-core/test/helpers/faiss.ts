import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Matrix } from '../../src/index.js';

const execFileAsync = promisify(execFile);

/**
 * Runs a Python snippet under Debian's faiss (the reference system). Matrices go in as raw float32
 * files named in `inputs`; the snippet writes JSON to the path in variable `OUT`. Asynchronous, so the
 * test worker's event loop keeps answering vitest while faiss trains.
 */
export async function runFaiss<T>(script: string, inputs: Record<string, Matrix>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'libvq-faiss-'));
  try {
    let prelude = 'import faiss, numpy as np, json, sys\nfaiss.omp_set_num_threads(1)\n';
    for (const [name, m] of Object.entries(inputs)) {
      const p = join(dir, `${name}.f32`);
      writeFileSync(p, m.data);
      prelude += `${name} = np.fromfile(${JSON.stringify(p)}, dtype='float32').reshape(${m.rows}, ${m.dim})\n`;
    }
    const out = join(dir, 'out.json');
    prelude += `OUT = ${JSON.stringify(out)}\n`;
    const py = join(dir, 'run.py');
    writeFileSync(py, prelude + script);
    await execFileAsync('/usr/bin/python3', [py], { maxBuffer: 64 * 1024 * 1024 });
    return parsePythonJson(readFileSync(out, 'utf8')) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Python's json writes non-finite floats as the bare tokens NaN / Infinity / -Infinity, which JSON.parse
 * rejects. faiss 1.7.3 emits them where its output is undefined (IndexFlat searched over 0 vectors leaves
 * uninitialised memory, which is sometimes a NaN); they become null, which no comparison takes for a result.
 * Our snippets write numbers and fixed keys only, so the tokens cannot occur inside a string.
 */
export function parsePythonJson(text: string): unknown {
  return JSON.parse(text.replace(/-?\b(?:NaN|Infinity)\b/g, 'null'));
}

export interface FaissOnFile {
  search: { D: number[]; I: number[] };
  ntotal: number;
  nprobe: number;
}

/**
 * faiss reads each of our files, searches it with the query matrix named for it in `inputs` (top k, the nprobe
 * stored in the file), and re-writes it to `<file>.rewritten` (which must equal our bytes).
 */
export function faissReadsOurFiles(files: string[], queryNames: string[], k: number, inputs: Record<string, Matrix>): Promise<FaissOnFile[]> {
  return runFaiss(
    `
res = []
for p, qn in zip(${JSON.stringify(files)}, ${JSON.stringify(queryNames)}):
    idx = faiss.read_index(p)
    Dd, Ii = idx.search(globals()[qn], ${k})
    faiss.write_index(idx, p + '.rewritten')
    ivf = faiss.try_extract_index_ivf(idx)
    res.append({'search': {'D': Dd.ravel().tolist(), 'I': Ii.ravel().tolist()}, 'ntotal': int(idx.ntotal),
                'nprobe': int(ivf.nprobe) if ivf is not None else 0})
json.dump(res, open(OUT, 'w'))
`,
    inputs,
  );
}
