import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type FuzzReport, runFuzz } from './run-fuzz.js';

// `pnpm fuzz [--cases N] [--seed S] [--targets a,b] [--json out.json]`: the long run (CI runs a short one as a test).

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '20261204' },
    targets: { type: 'string' },
    json: { type: 'string' },
    timeout: { type: 'string', default: '20000' },
    'memory-mb': { type: 'string', default: '400' },
  },
});

let last = 0;
const report = await runFuzz({
  cases: Number(values.cases),
  seed: Number(values.seed),
  targets: values.targets?.split(','),
  caseTimeoutMs: Number(values.timeout),
  memoryBudgetMb: Number(values['memory-mb']),
  onCase: (done, total) => {
    if (Date.now() - last > 2000 || done === total) {
      last = Date.now();
      process.stderr.write(`\rfuzz: ${done}/${total} cases`);
    }
  },
});
process.stderr.write('\n');
console.log(formatReport(report));
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
const bad = report.failures.length;
process.exitCode = bad === 0 ? 0 : 1;

export function formatReport(r: FuzzReport): string {
  const rows = Object.entries(r.byFormat).map(([f, t]) => `| ${f} | ${t.tried} | ${t.error} | ${t.correct} | ${t.hang} | ${t.crash} | ${t.silent} | ${t.memory} |`);
  const lines = [
    `fuzz: seed ${r.seed}, ${r.casesPerTarget} cases per seed file, ${r.seconds.toFixed(0)} s, worker peak RSS ${r.peakRssMb} MB`,
    '',
    '| format | tried | clean error | correct | hang | crash | silent | memory |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
  for (const f of r.failures.slice(0, 30)) lines.push(`${f.verdict}: ${f.target}: ${f.mutation}: ${f.detail}`);
  return lines.join('\n');
}
