import type { FuzzReport } from './run-fuzz.js';

/** The tallies per format as a markdown table, then the first failures. */
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
