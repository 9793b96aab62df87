import { invalidArgument } from '@libvq/index-core/util';

/**
 * Learning-rate factor of a linear warm-up then linear decay (LibVQ uses transformers'
 * get_linear_schedule_with_warmup with warm-up = 10% of the steps). `step` is the 0-based index of the
 * optimiser step about to be taken, `total` the number of steps of the run.
 *   step < W:  (step + 1) / W          W = floor(warmupRatio * total)
 *   step >= W: (total - step) / (total - W)
 * One deliberate difference: transformers' first step has factor 0/W = 0 (a wasted step) and its last step
 * 1/(T-W); here the ramp is shifted by one so no step of the run has a zero rate.
 */
export function linearWarmupDecay(step: number, total: number, warmupRatio = 0.1): number {
  if (!Number.isInteger(total) || total <= 0) throw invalidArgument('total', 'a positive integer number of steps', total);
  if (!Number.isInteger(step) || step < 0 || step >= total) throw invalidArgument('step', `an integer in [0, ${total})`, step);
  if (!(warmupRatio >= 0 && warmupRatio < 1)) throw invalidArgument('warmupRatio', 'a number in [0, 1)', warmupRatio);
  const W = Math.floor(warmupRatio * total);
  if (step < W) return (step + 1) / W;
  return (total - step) / (total - W);
}
