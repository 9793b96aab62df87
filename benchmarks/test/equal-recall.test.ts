import { describe, expect, it } from 'vitest';
import { codeBytes, equalRecallRows, type AnnReport, type ScoredRun } from '../src/ann-report.js';

/** A system's run with only what the comparison reads. */
function sys(system: string, label: string, points: [nprobe: number, recall: number, qps: number][]): ScoredRun {
  return {
    system, label, version: '', threads: 1, trainS: 0, addS: 0, indexBytes: 0, rssAfterLoadBytes: 0, peakRssBytes: 0,
    runs: points.map(([nprobe, r10at100, qps]) => ({ nprobe, seconds: 1, qps, r1: 0, r10at100 })),
  } as unknown as ScoredRun;
}

function report(results: AnnReport['results']): AnnReport {
  return { results } as unknown as AnnReport;
}

describe('fast-scan against faiss 8-bit at equal recall', () => {
  it('counts code bytes of 8-bit, 4-bit and fast-scan factories', () => {
    expect(codeBytes('IVF1024,PQ20x8')).toBe(20);
    expect(codeBytes('OPQ20,IVF1024,PQ20')).toBe(20);
    expect(codeBytes('IVF1024,PQ50x4fs')).toBe(25);
    expect(codeBytes('IVF1024,PQ51x4fsr')).toBe(26);
    expect(codeBytes('IVF1024,Flat')).toBeUndefined();
  });

  it('picks, per faiss 8-bit point, the fastest fast-scan point of ≤ 25 bytes with equal or better recall', () => {
    const r = report([
      { factory: 'IVF1024,PQ20x8', systems: [sys('libvq-ts', 'libvq-ts (js)', [[16, 0.9, 9999], [64, 0.95, 9999]]), sys('faiss', 'faiss', [[16, 0.84, 6000], [32, 0.913, 4000], [64, 0.92, 2000]])] },
      // Fast, but 26 bytes: never chosen.
      { factory: 'IVF1024,PQ52x4fs', systems: [sys('libvq-ts', 'libvq-ts (js)', [[16, 0.99, 90000]])] },
      {
        factory: 'IVF1024,PQ50x4fsr',
        systems: [sys('libvq-ts', 'libvq-ts (js)', [[16, 0.86, 14000], [32, 0.913, 10000], [64, 0.945, 6000]]), sys('libvq-ts', 'libvq-ts (native)', [[16, 0.86, 15000], [32, 0.913, 9000]]), sys('faiss', 'faiss', [[16, 0.86, 3000]])],
      },
      { factory: 'IVF1024,PQ20x4fs', systems: [sys('libvq-ts', 'libvq-ts (js)', [[16, 0.6, 30000]])] },
    ]);
    const rows = equalRecallRows(r);
    // Only faiss's 8-bit runs are rows; faiss's fast-scan and our own 8-bit runs are not compared.
    expect(rows.map((x) => [x.factory, x.nprobe])).toEqual([['IVF1024,PQ20x8', 16], ['IVF1024,PQ20x8', 32], ['IVF1024,PQ20x8', 64]]);
    // 0.84: the native nprobe-16 point (0.86 ≥ 0.84, 15,000 q/s) beats every other point at or above 0.84.
    expect(rows[0].ours).toEqual({ factory: 'IVF1024,PQ50x4fsr', label: 'libvq-ts (native)', nprobe: 16, recall: 0.86, qps: 15000 });
    // 0.913: equal recall counts; js at nprobe 32 (10,000) is the fastest of the two points at exactly 0.913.
    expect(rows[1].ours).toMatchObject({ label: 'libvq-ts (js)', nprobe: 32, qps: 10000 });
    // 0.92: only the nprobe-64 point reaches it.
    expect(rows[2].ours).toMatchObject({ nprobe: 64, recall: 0.945, qps: 6000 });
  });

  it('says when no fast-scan point reaches faiss\'s recall', () => {
    const rows = equalRecallRows(report([
      { factory: 'IVF1024,PQ20x8', systems: [sys('faiss', 'faiss', [[128, 0.93, 1200]])] },
      { factory: 'IVF1024,PQ20x4fs', systems: [sys('libvq-ts', 'libvq-ts (js)', [[128, 0.54, 5000]])] },
    ]));
    expect(rows).toHaveLength(1);
    expect(rows[0].ours).toBeUndefined();
  });
});
