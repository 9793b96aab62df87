import { invalidArgument } from '@libvq/index-core/util';
import type { LossMethod } from '../grad/types.js';
import type { IndexFitOptions } from './fit.js';

/**
 * The learning rates this repository's runs use (README, demo, benchmarks): codebooks 1e-3 (AdamW; LibVQ's is
 * 1e-4), centroids 1e-3 (plain SGD on the touched lists, LibVQ's), rotation 1e-4 (Cayley retraction).
 */
export const DEFAULT_LR = { codebooks: 1e-3, centroids: 1e-3, rotation: 1e-4 } as const;

export type WriteBack = 'keep' | 'reencode';

/**
 * Every fit option with its default applied and checked, resolved once where a fit starts (LearnableIndex.fit /
 * fitWithTowers, or fitIndexParams called directly); the training loop and the write-back read only this.
 */
export interface ResolvedFitOptions {
  readonly lossMethod: LossMethod;
  readonly epochs: number;
  readonly batchSize: number;
  readonly perQueryNegNum: number;
  readonly virtualNegNum: number;
  readonly temperature: number | 'auto';
  readonly lr: { readonly codebooks: number; readonly centroids: number; readonly rotation: number };
  readonly centroidOptimizer: 'sgd' | 'adamw';
  readonly freeze: { readonly centroids: boolean; readonly codebooks: boolean; readonly rotation: boolean };
  readonly warmupRatio: number;
  readonly codeAssignment: 'fixed' | 'nearest';
  readonly docScope: 'batch' | 'corpus';
  readonly seed: number;
  readonly writeBack: WriteBack;
}

/**
 * The defaults, the library's recommended settings and the CLI's (libvq train reads its defaults from here):
 * LibVQ's distill, 5 epochs, batch 128, one negative per query, 399 virtual negatives, SGD centroids and 10%
 * warm-up; temperature 'auto' (fitted to the teacher's score spread; LibVQ's fixed 1 is `temperature: 1`) and
 * DEFAULT_LR; codes 'fixed' (JPQ) unless a document tower trains ('nearest': its
 * vectors move, so codes are re-chosen); write-back 'keep' with fixed codes and no document tower, else 'reencode'.
 */
export function resolveFitOptions(
  o: Partial<IndexFitOptions> & { writeBack?: WriteBack },
  context: { docTower?: boolean } = {},
): ResolvedFitOptions {
  const docTower = context.docTower === true;
  const lossMethod = o.lossMethod ?? 'distill';
  if (lossMethod !== 'distill' && lossMethod !== 'contras') throw invalidArgument('lossMethod', "'distill' or 'contras'", lossMethod);
  const codeAssignment = o.codeAssignment ?? (docTower ? 'nearest' : 'fixed');
  if (codeAssignment !== 'fixed' && codeAssignment !== 'nearest') throw invalidArgument('codeAssignment', "'fixed' or 'nearest'", codeAssignment);
  const docScope = o.docScope ?? 'batch';
  if (docScope !== 'batch' && docScope !== 'corpus') throw invalidArgument('docScope', "'batch' or 'corpus'", docScope);
  const temperature = o.temperature ?? 'auto';
  if (temperature !== 'auto' && !(typeof temperature === 'number' && temperature > 0 && Number.isFinite(temperature))) {
    throw invalidArgument('temperature', "a number > 0 or 'auto'", o.temperature);
  }
  const centroidOptimizer = o.centroidOptimizer ?? 'sgd';
  if (centroidOptimizer !== 'sgd' && centroidOptimizer !== 'adamw') throw invalidArgument('centroidOptimizer', "'sgd' or 'adamw'", centroidOptimizer);
  const writeBack = o.writeBack ?? (codeAssignment === 'fixed' && !docTower ? 'keep' : 'reencode');
  if (writeBack !== 'keep' && writeBack !== 'reencode') throw invalidArgument('writeBack', "'keep' or 'reencode'", writeBack);
  if (docTower && writeBack === 'keep') {
    throw invalidArgument('writeBack', "'reencode' when the document tower trains (the stored codes were chosen for the old document vectors; every document is re-encoded, as in LibVQ)", writeBack);
  }
  return {
    lossMethod,
    epochs: positiveInt(o.epochs ?? 5, 'epochs'),
    batchSize: positiveInt(o.batchSize ?? 128, 'batchSize'),
    perQueryNegNum: nonNegativeInt(o.perQueryNegNum ?? 1, 'perQueryNegNum'),
    virtualNegNum: nonNegativeInt(o.virtualNegNum ?? 399, 'virtualNegNum'),
    temperature,
    lr: { ...DEFAULT_LR, ...o.lr },
    centroidOptimizer,
    freeze: { centroids: o.freeze?.centroids === true, codebooks: o.freeze?.codebooks === true, rotation: o.freeze?.rotation === true },
    warmupRatio: o.warmupRatio ?? 0.1,
    codeAssignment,
    docScope,
    seed: o.seed ?? 1234,
    writeBack,
  };
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v <= 0) throw invalidArgument(name, 'a positive integer', v);
  return v;
}

function nonNegativeInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0) throw invalidArgument(name, 'a non-negative integer', v);
  return v;
}
