import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CaseReply, CaseRequest, Outcome } from './case-child.js';
import { mutate, rng32 } from './mutate.js';
import { TARGETS } from './targets.js';

export interface FuzzOptions {
  /** Cases per target. */
  cases: number;
  seed: number;
  /** A case that takes longer is a hang (its process is killed). */
  caseTimeoutMs?: number;
  /** A case that lifts the worker's resident set above this is a memory failure. */
  memoryBudgetMb?: number;
  /** Only these targets (by name). */
  targets?: string[];
  onCase?: (done: number, total: number) => void;
}

export type Verdict = Outcome | 'hang' | 'memory';

export interface Tally {
  tried: number;
  error: number;
  correct: number;
  silent: number;
  crash: number;
  hang: number;
  memory: number;
}

export interface Failure {
  target: string;
  verdict: Verdict;
  mutation: string;
  detail: string;
  /** The mutated file, base64: reproduce with `pnpm fuzz --replay`. */
  bytes: string;
}

export interface FuzzReport {
  seed: number;
  casesPerTarget: number;
  byFormat: Record<string, Tally>;
  failures: Failure[];
  /** The largest resident set any worker reached on a case that passed (MB). */
  peakRssMb: number;
  seconds: number;
}

const emptyTally = (): Tally => ({ tried: 0, error: 0, correct: 0, silent: 0, crash: 0, hang: 0, memory: 0 });

/** One forked worker (case-child.ts) and the seed files it reports when ready. */
class Worker {
  private child!: ChildProcess;
  seeds!: Record<string, Uint8Array>;
  baseRssMb = 0;
  stderr = '';

  async start(): Promise<void> {
    const entry = fileURLToPath(new URL('./case-child.ts', import.meta.url));
    this.child = fork(entry, [], {
      execArgv: ['--conditions=source', '--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    // The last words of a worker that dies (a native crash, an out-of-memory abort) go into the failure report.
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    const ready = await this.next(120_000);
    if (ready === 'timeout' || ready === 'exit') throw new Error(`fuzz worker did not start: ${this.stderr}`);
    const r = ready as unknown as { seeds: Record<string, Uint8Array>; maxRssMb: number };
    this.seeds = r.seeds;
    this.baseRssMb = r.maxRssMb;
  }

  run(req: CaseRequest, timeoutMs: number): Promise<CaseReply | 'timeout' | 'exit'> {
    this.child.send(req);
    return this.next(timeoutMs) as Promise<CaseReply | 'timeout' | 'exit'>;
  }

  private next(timeoutMs: number): Promise<unknown> {
    return new Promise((resolve) => {
      const done = (v: unknown) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(v);
      };
      const onMessage = (m: unknown) => done(m);
      const onExit = () => done('exit');
      const timer = setTimeout(() => done('timeout'), timeoutMs);
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
    });
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

/**
 * Runs `cases` mutations of every target's seed file. Case i of a target is mutation rng32(seed ^ hash(target) + i),
 * so any case can be replayed alone. Workers are restarted after a hang, a crash of the process or a memory
 * failure (the resident-set high-water mark only grows, so a fresh process measures the next case cleanly).
 */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  const timeout = opts.caseTimeoutMs ?? 20_000;
  const budget = opts.memoryBudgetMb ?? 400;
  const targets = TARGETS.filter((t) => !opts.targets || opts.targets.includes(t.name));
  const byFormat: Record<string, Tally> = {};
  const failures: Failure[] = [];
  let peakRssMb = 0;
  let worker = new Worker();
  await worker.start();
  const total = targets.length * opts.cases;
  let done = 0;
  try {
    for (const t of targets) {
      const tally = (byFormat[t.format] ??= emptyTally());
      for (let i = 0; i < opts.cases; i++) {
        const r = rng32((opts.seed ^ hash(t.name)) + i * 7919);
        const m = mutate(worker.seeds[t.name], r, t.text === true);
        const reply = await worker.run({ target: t.name, bytes: m.bytes }, timeout);
        let verdict: Verdict;
        let detail = '';
        if (reply === 'timeout' || reply === 'exit') {
          verdict = reply === 'timeout' ? 'hang' : 'crash';
          detail = reply === 'timeout' ? `no answer within ${timeout} ms` : `the worker process died: ${worker.stderr.slice(-500)}`;
        } else if (reply.maxRssMb > budget) {
          verdict = 'memory';
          detail = `resident set reached ${reply.maxRssMb} MB (budget ${budget} MB)`;
        } else {
          verdict = reply.outcome;
          detail = reply.detail ?? '';
          peakRssMb = Math.max(peakRssMb, reply.maxRssMb);
        }
        tally.tried++;
        tally[verdict]++;
        if (verdict !== 'error' && verdict !== 'correct') {
          failures.push({ target: t.name, verdict, mutation: m.what, detail, bytes: Buffer.from(m.bytes).toString('base64') });
        }
        if (verdict === 'hang' || verdict === 'memory' || (verdict === 'crash' && typeof reply !== 'object')) {
          worker.stop();
          worker = new Worker();
          await worker.start();
        }
        opts.onCase?.(++done, total);
      }
    }
  } finally {
    worker.stop();
  }
  return { seed: opts.seed, casesPerTarget: opts.cases, byFormat, failures, peakRssMb, seconds: (Date.now() - t0) / 1000 };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
