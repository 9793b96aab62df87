import { parseFactory } from '@libvq/index-core';
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
    if (stage === 'assign' && spec.ivf) return { label: `assigning the PQ training sample to the IVF${spec.ivf.nlist} lists`, unit: 'vectors' };
    if (stage === 'add') return { label: 'adding', unit: 'vectors' };
    if (stage === 'pq' && code.kind === 'PQ') return { label: `training PQ${code.M}x${code.nbits} codebooks`, unit: 'sub-quantizers' };
    return plainBar(stage);
  };
}


/** The bars of fit's stages (LearnableIndex.fit, LearnableIndexWithEncoder.fit): the virtual labels' search, then the steps. */
export const fitBars: StageBar = (stage) => (stage === 'labels' ? { label: 'virtual labels', unit: 'queries' } : { label: 'training', unit: 'batches' });
