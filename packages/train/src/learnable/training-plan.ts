import { invalidArgument } from '@libvq/index-core/util';

/**
 * Training settings chosen from the corpus size, with the reason for each (printed by `libvq train` and
 * `libvq demo`, so a user sees what was chosen and why).
 *
 * Why two regimes: docScope 'corpus' scores every document for every training query (B x nDocs per step), which
 * distils the whole dense ranking and was the best setting on Cranfield (1,400 documents), but an epoch costs
 * queries x documents: on debdesc (60k documents, 115k training queries) that is hours per epoch. docScope 'batch'
 * is LibVQ's recipe: each query is scored against the batch's positives and hard negatives (B x B(1 + n) per step),
 * so an epoch costs what its queries cost, whatever the corpus size.
 */
export interface TrainingPlanInput {
  /** Documents in the index. */
  documents: number;
  /** Training queries (judged queries and pseudo-queries together). */
  trainingQueries: number;
  /** The most epochs wanted (the user's --epochs); the plan may run fewer on large query sets. */
  epochs: number;
  /** Training examples (query x epoch) one training run may take; default 150,000 (about two minutes here). */
  exampleBudget?: number;
  /** A scope the user asked for (libvq train --scope, a benchmark's comparison); default: chosen by corpus size. */
  docScope?: 'corpus' | 'batch';
}

export interface TrainingPlan {
  docScope: 'corpus' | 'batch';
  batchSize: number;
  /** Hard negatives per query in a batch (docScope 'batch'). */
  perQueryNegNum: number;
  /** Ranks 2..1+this of the virtual labels are the hard negatives. */
  virtualNegNum: number;
  epochs: number;
  /** One line per choice, for the user. */
  reasons: string[];
}

/** At most this many documents are scored per query in full (docScope 'corpus'). */
export const CORPUS_SCOPE_MAX_DOCUMENTS = 5000;
const DEFAULT_EXAMPLE_BUDGET = 150_000;

export function planTraining(input: TrainingPlanInput): TrainingPlan {
  const { documents, trainingQueries, epochs } = input;
  for (const [name, v] of [['documents', documents], ['trainingQueries', trainingQueries], ['epochs', epochs]] as const) {
    if (!Number.isInteger(v) || v < 1) throw invalidArgument(name, 'a positive integer', v);
  }
  const budget = input.exampleBudget ?? DEFAULT_EXAMPLE_BUDGET;
  if (!Number.isInteger(budget) || budget < 1) throw invalidArgument('exampleBudget', 'a positive integer', budget);
  const reasons: string[] = [];
  const asked = input.docScope;
  if (asked !== undefined && asked !== 'corpus' && asked !== 'batch') throw invalidArgument('docScope', "'corpus' or 'batch'", asked);
  if (asked === 'corpus' || (asked === undefined && documents <= CORPUS_SCOPE_MAX_DOCUMENTS)) {
    reasons.push(
      asked
        ? `scope corpus (asked): every document is scored for every training query`
        : `scope corpus: ${documents} documents (<= ${CORPUS_SCOPE_MAX_DOCUMENTS}), every document is scored for every training query (the whole dense ranking is distilled)`,
    );
    reasons.push(`epochs ${epochs}, batch 32`);
    return { docScope: 'corpus', batchSize: 32, perQueryNegNum: 0, virtualNegNum: 399, epochs, reasons };
  }
  const planned = Math.max(1, Math.min(epochs, Math.floor(budget / trainingQueries)));
  reasons.push(
    asked
      ? `scope batch (asked): each query is scored against its batch's positives and hard negatives (LibVQ's in-batch + hard negatives)`
      : `scope batch: ${documents} documents (> ${CORPUS_SCOPE_MAX_DOCUMENTS}): each query is scored against its batch's positives and hard negatives (LibVQ's in-batch + hard negatives), so an epoch costs what its ${trainingQueries} queries cost`,
  );
  reasons.push('batch 128, 4 hard negatives per query drawn from ranks 2..400 of the virtual labels');
  reasons.push(
    planned < epochs
      ? `epochs ${planned} (of ${epochs} asked): ${trainingQueries} training queries x ${planned} epochs stays within ${budget} training examples per run`
      : `epochs ${planned}`,
  );
  return { docScope: 'batch', batchSize: 128, perQueryNegNum: 4, virtualNegNum: 399, epochs: planned, reasons };
}
