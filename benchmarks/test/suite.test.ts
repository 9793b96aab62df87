import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BENCHMARKS, checkBenchArgs, parseBenchValue } from '../src/suite.js';

/** The module each benchmark's load() imports, read as text: the oracle for the flags its main(argv) reads. */
const SOURCES: Record<string, string> = { glove: 'glove-ann.ts', synth: 'glove-ann.ts', cranfield: 'train-cranfield.ts', debdesc: 'train-debdesc.ts', 'glove-train': 'train-glove.ts', 'glove-rounds': 'glove-rounds.ts', 'virtual-labels': 'virtual-labels.ts', scale: 'scale.ts', 'event-loop': 'event-loop.ts', cluster: 'cluster.ts', transformer: 'train-transformer.ts', 'transformer-throughput': 'transformer-throughput.ts' };

describe('benchmark suite table', () => {
  it('names every benchmark whose source it loads', () => {
    expect(Object.keys(BENCHMARKS).sort()).toEqual(Object.keys(SOURCES).sort());
  });

  it.each(Object.keys(SOURCES))('%s declares exactly the flags its source reads', (name) => {
    const text = readFileSync(new URL(`../src/${SOURCES[name]}`, import.meta.url), 'utf8');
    const read = new Set([...text.matchAll(/'(--[a-z][a-z0-9-]*)'/g)].map((m) => m[1]));
    expect(BENCHMARKS[name].options.map((o) => o.flag).sort()).toEqual([...read].sort());
  });

  it('loads each benchmark module with a main(argv)', async () => {
    for (const b of Object.values(BENCHMARKS)) expect(typeof (await b.load()).main).toBe('function');
  });

  it('its examples pass its own argument check', () => {
    for (const [name, b] of Object.entries(BENCHMARKS)) for (const ex of b.examples) expect(() => checkBenchArgs(name, ex)).not.toThrow();
  });

  it('refuses unknown flags, missing values and malformed numbers, naming the flag', () => {
    expect(() => checkBenchArgs('glove', ['--quik'])).toThrow(/unknown option "--quik"; expected one of --quick/);
    expect(() => checkBenchArgs('glove', ['--seed'])).toThrow(/--seed: expected a value/);
    expect(() => checkBenchArgs('glove', ['--seed', '1.5'])).toThrow(/--seed: expected an integer, got "1.5"/);
    expect(() => checkBenchArgs('glove', ['--nprobes', '4,x'])).toThrow(/--nprobes: expected integers separated by ","/);
    expect(() => checkBenchArgs('glove', ['--out', '--quick'])).toThrow(/--out: expected a value/);
    expect(() => checkBenchArgs('nope', [])).toThrow(/benchmark: expected one of glove, synth, cluster, scale, event-loop, cranfield, transformer, transformer-throughput, debdesc, virtual-labels, glove-train, glove-rounds, got "nope"/);
    expect(() => checkBenchArgs('glove-train', ['--lr-codebooks', 'fast'])).toThrow(/--lr-codebooks: expected a number/);
  });

  it('returns values as the benchmark reads them', () => {
    const lr = BENCHMARKS['glove-train'].options.find((o) => o.flag === '--lr-codebooks')!;
    expect(parseBenchValue(lr, '1e-2')).toBe(0.01);
    const fac = BENCHMARKS.glove.options.find((o) => o.flag === '--factories')!;
    expect(parseBenchValue(fac, 'IVF8,PQ4x8;OPQ4,PQ4x8')).toBe('IVF8,PQ4x8;OPQ4,PQ4x8');
  });
});
