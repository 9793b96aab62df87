import { parseFactory } from '@libvq/index-core';
import { methodToFactory } from '@libvq/train';
import type { StageBar } from './progress.js';

/** A stage no part of the factory names (or an index the CLI cannot name): a plain bar. */
const plainBar: StageBar = (stage) => ({ label: `training (${stage ?? 'index'})`, unit: 'steps' });

/**
 * The bar of each stage index training reports (LongOperationOptions: 'opq', 'ivf', 'pq'), named after the
 * factory's parts: "training OPQ4 rotation", "training IVF1024 coarse quantizer", "training PQ20x8 codebooks".
 */
export function trainingBars(factory: string): StageBar {
  const spec = parseFactory(factory);
  return (stage) => {
    const code = spec.code;
    if (stage === 'opq' && spec.transforms.length > 0) return { label: `training ${spec.transforms.filter((t) => t.kind === 'OPQ').map((t) => `OPQ${t.M}`).join(',')} rotation`, unit: 'iters' };
    if (stage === 'ivf' && spec.ivf) return { label: `training IVF${spec.ivf.nlist} coarse quantizer`, unit: 'iters' };
    if (stage === 'pq' && code.kind === 'PQ') return { label: `training PQ${code.M}x${code.nbits} codebooks`, unit: 'sub-quantizers' };
    return plainBar(stage);
  };
}

/** trainingBars of the index a LibVQ index_method builds (LearnableIndex.create: `libvq train`'s initial index). */
export function initialIndexBars(p: Parameters<typeof methodToFactory>[0]): StageBar {
  let factory: string;
  try {
    factory = methodToFactory(p);
  } catch {
    return plainBar; // bad parameters: LearnableIndex.create refuses them itself, with its own message
  }
  return trainingBars(factory);
}
