import { parseArgs } from 'node:util';
import { writeFileAtomicSync } from '@libvq/index-core/util';
import { formatReport } from './report.js';
import { runFuzz } from './run-fuzz.js';

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
if (values.json) writeFileAtomicSync(values.json, [JSON.stringify(report, null, 2)]);
const bad = report.failures.length;
process.exitCode = bad === 0 ? 0 : 1;
