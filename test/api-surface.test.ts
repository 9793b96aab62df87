import { describe, expect, it } from 'vitest';
import { exportedNames } from '../scripts/api-surface.js';

// The public API is kept deliberate (issue 12): the names the main entries export may only shrink. When an
// export is removed, lower the budget here; adding one means removing another (or an argued raise in review).
// 147 -> 164 (issue 14): a new package, @libvq/cluster (15 names: its four runs — buildOnCluster, encodeOnCluster,
// labelOnCluster, embedOnCluster — and startWorker, with their option and result types; the job-level pieces are on /jobs), and
// @libvq/dataset's planIndexBuild + IndexBuildSpec, the one description of an index build that `libvq build` and
// the cluster's train job share.
// 164 -> 166 (issue 15): TransformerTower and its TrainLayers, the tower that trains a transformer's own weights
// (next to EmbeddingBagTower and HeadTower on the main entry); the BERT model, its reader and writer are on
// @libvq/train/transformer.
const BUDGET = 166;

describe('public API surface', () => {
  it(`the main entries export at most ${BUDGET} names together`, () => {
    const names = exportedNames();
    const total = Object.values(names).reduce((s, l) => s + l.length, 0);
    console.log(Object.entries(names).map(([p, l]) => `${p}: ${l.length}`).join(', '), `total ${total}`);
    expect(total).toBeLessThanOrEqual(BUDGET);
    for (const list of Object.values(names)) expect(list.length).toBeGreaterThan(0);
  }, 120_000);
});
