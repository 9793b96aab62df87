import type { Command } from 'commander';
import { gloveAnnSet } from '@libvq/glove/ann';
import { indexFactory } from '@libvq/index-core';
import { knnRecall } from '@libvq/dataset';
import { withConfig } from '../config.js';
import { withProgress } from '../progress.js';
import { intListOption, intOption } from '../vectors-arg.js';

/**
 * An ANN demo on the GloVe-100 set (340k words, 1,000
 * held-out query words, exact inner-product ground truth), an IVF-PQ index built, searched and scored.
 * (`libvq demo` is the whole LibVQ pipeline on Cranfield.)
 */
export function registerDemoAnn(program: Command): void {
  const cmd = program
    .command('demo-ann')
    .description('build an IVF-PQ index over the GloVe-100 vectors, search it and print recall')
    .option('--factory <spec>', 'index factory string', 'IVF256,PQ20x8')
    .option('--nprobe <list>', 'comma-separated nprobe values to search with', intListOption('--nprobe', 1), [4, 16, 64])
    .option('--seed <n>', 'seed for every random choice', intOption('--seed', 0, 0xffffffff), 1234)
    .option('--cache-dir <dir>', 'where the GloVe binary cache and ground truth live (default ~/.cache/libvq)')
    .addHelpText('after', '\nExamples:\n  libvq demo-ann\n  libvq demo-ann --factory "OPQ20,IVF256,PQ20x8" --nprobe 8,32')
    .action(async (o: { factory: string; nprobe: number[]; seed: number; cacheDir?: string }) => {
      const { nprobe: nprobes, seed } = o;
      const set = await withProgress('loading GloVe-100', 'steps', (onProgress) =>
        gloveAnnSet({ seed, cacheDir: o.cacheDir, onProgress: (d, t) => onProgress(d, t) }),
      );
      const { base, queries, groundTruth, k } = set;
      console.error(`GloVe-100: ${base.rows} base vectors, ${queries.rows} queries, d = ${base.dim}, inner product`);
      const index = indexFactory(base.dim, o.factory, 'ip');
      const t0 = performance.now();
      await withProgress(`training ${o.factory}`, 'iters', (onProgress) => index.trainSync(base, { seed, onProgress }));
      const t1 = performance.now();
      await withProgress('adding', 'vectors', (onProgress) => index.addSync(base, undefined, { onProgress }));
      const t2 = performance.now();
      console.log(`\n${o.factory}: trained in ${((t1 - t0) / 1000).toFixed(1)} s, added in ${((t2 - t1) / 1000).toFixed(1)} s, ${(index.memoryBytes() / 1e6).toFixed(1)} MB\n`);
      console.log('| nprobe | R@1 | 10-R@100 | queries/s |');
      console.log('|---|---|---|---|');
      for (const nprobe of nprobes) {
        const s0 = performance.now();
        const r = index.searchSync(queries, { k: 100, nprobe });
        const secs = (performance.now() - s0) / 1000;
        const approx = { labels: r.labels, k: 100 };
        const exact = { labels: groundTruth, k };
        const r1 = knnRecall(approx, exact, 1, 1);
        const r10 = knnRecall(approx, exact, 10, 100);
        console.log(`| ${nprobe} | ${r1.toFixed(3)} | ${r10.toFixed(3)} | ${Math.round(queries.rows / secs)} |`);
      }
    });
  withConfig(cmd, { lists: { nprobe: ',' } });
}
