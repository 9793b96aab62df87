import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGETS, type Shape, isTypedError } from './targets.js';

// A fuzz worker process: writes the seed files once, then runs the cases the parent sends, one at a time, and
// answers with the outcome and its resident-set high-water mark. The parent owns the clock: a case that does not
// answer in time is a hang, and this process is killed.

export interface CaseRequest {
  target: string;
  bytes: Uint8Array;
}

export type Outcome = 'error' | 'correct' | 'silent' | 'crash';

export interface CaseReply {
  outcome: Outcome;
  detail?: string;
  maxRssMb: number;
}

const dir = mkdtempSync(join(tmpdir(), 'libvq-fuzz-'));
const originals = new Map<string, Shape>();
const seeds = new Map<string, Uint8Array>();

async function setup(): Promise<void> {
  for (const t of TARGETS) {
    const path = await t.seed(dir);
    seeds.set(t.name, new Uint8Array(await readFile(path)));
    originals.set(t.name, await t.run(path));
  }
}

async function runCase(req: CaseRequest): Promise<Omit<CaseReply, 'maxRssMb'>> {
  const t = TARGETS.find((x) => x.name === req.target);
  if (!t) throw new Error(`unknown fuzz target ${req.target}`);
  const path = join(dir, `case-${t.file}`);
  writeFileSync(path, req.bytes);
  try {
    const shape = await t.run(path);
    const why = t.judge(shape, originals.get(t.name)!, req.bytes);
    return why === undefined ? { outcome: 'correct' } : { outcome: 'silent', detail: why };
  } catch (err) {
    if (isTypedError(err)) return { outcome: 'error', detail: `[${err.code}] ${err.message.slice(0, 200)}` };
    const e = err as Error;
    return { outcome: 'crash', detail: `${e?.name ?? 'throw'}: ${String(e?.message ?? err).slice(0, 300)}` };
  } finally {
    rmSync(path, { force: true });
  }
}

const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
await setup();
process.send!({ ready: true, seeds: Object.fromEntries(seeds), maxRssMb: maxRssMb() });
process.on('message', (req: CaseRequest) => {
  void runCase({ target: req.target, bytes: new Uint8Array(req.bytes) }).then((r) => process.send!({ ...r, maxRssMb: maxRssMb() } satisfies CaseReply));
});
process.on('disconnect', () => process.exit(0));
