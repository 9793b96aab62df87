import { LibvqError, describeIndex, indexFactory, type Matrix } from '@libvq/index-core';
import { readManifest, type CheckpointManifest } from '@libvq/train';

/**
 * `libvq train --resume`: the resumed run must be the run that was saved, or its result is neither that run nor
 * the one asked for (a resumed `--factory IVF8,PQ4x8` on an OPQ checkpoint went on training the OPQ index; another
 * --batch-size broke the schedule). So every per-epoch checkpoint records the command line that started it
 * (`cli` in its manifest), and --resume refuses a command line that differs, naming each option and both values.
 *
 * May differ on resume (they do not change what training computes):
 * - --epochs: extends (or, down to the epochs done, shortens) the run; the learning-rate schedule then decays
 *   over the new total. Equal to the epochs done: nothing left to train, the run is only exported (-o).
 * - -o/--out, --plot, --checkpoint-dir, --config, --debug: where results go and how the options were given.
 * - --data / --docs / --queries paths: the files may have moved; their shapes (rows x dim) are compared instead.
 * Everything else must be equal, whether it was typed or came from a default.
 */

/** The options that determine a training run, by flag; their values as parsed (unset = null). */
export type RunRecord = Record<string, string | number | boolean | null>;

export interface RunOptions {
  factory: string;
  metric: 'ip' | 'l2' | 'cosine';
  opqNiter?: number;
  opqTrainPoints?: number;
  loss: string;
  labels: string;
  batchSize: number;
  neg: number;
  temperature: number | 'auto';
  scope: string;
  codes?: string;
  writeBack?: string;
  lrCodebooks: number;
  lrCentroids: number;
  lrRotation: number;
  freezeRotation?: boolean;
  seed: number;
  fixEmb: string;
  model: string;
  mode: string;
}

const shape = (m: Matrix) => `${m.rows} x ${m.dim}`;

/** What a checkpoint of this run records (manifest extra.cli). */
export function runRecord(f: RunOptions, docs: Matrix, queries: Matrix): RunRecord {
  const towers = f.fixEmb !== 'query, doc';
  return {
    // as describeIndex spells it ("PQ4" is "PQ4x8"), so a resume that spells the same index otherwise is the same run
    '--factory': describeIndex(indexFactory(docs.dim, f.factory)),
    '--metric': f.metric,
    '--opq-niter': f.opqNiter ?? null,
    '--opq-train-points': f.opqTrainPoints ?? null,
    '--loss': f.loss,
    '--labels': f.labels,
    '--mode': f.mode,
    '--batch-size': f.batchSize,
    '--neg': f.neg,
    '--temperature': f.temperature,
    '--scope': f.scope,
    '--codes': f.codes ?? null,
    '--write-back': f.writeBack ?? null,
    '--lr-codebooks': f.lrCodebooks,
    '--lr-centroids': f.lrCentroids,
    '--lr-rotation': f.lrRotation,
    '--freeze-rotation': !!f.freezeRotation,
    '--seed': f.seed,
    '--fix-emb': f.fixEmb,
    // the model only trains with a tower; the index-only run never reads it
    '--model': towers ? f.model : null,
    '--docs': shape(docs),
    '--queries': shape(queries),
  };
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '(not given)';
  if (v === '') return 'none'; // --fix-emb none
  return String(v);
}

/**
 * Refuses to resume checkpoint `dir` with options other than its run's. The index's structure is compared with
 * what the manifest says the index is (also for checkpoints saved without a command-line record: by the library,
 * or by an older libvq); the rest with the recorded command line. Returns a note when there was no record.
 */
export function checkResumeOptions(dir: string, rec: RunRecord, epochs: number): string | null {
  const m: CheckpointManifest = readManifest(dir);
  const extra = (m.extra ?? {}) as { cli?: RunRecord; fixEmb?: string; train?: { epochsDone?: number } };
  const differ = new Map<string, [unknown, unknown]>();
  const cmp = (flag: string, saved: unknown, given: unknown) => {
    if (!differ.has(flag) && JSON.stringify(saved ?? null) !== JSON.stringify(given ?? null)) differ.set(flag, [saved, given]);
  };
  // what the checkpoint's index is, whatever the record says: the structure --factory and --metric build (cosine is
  // an L2norm before an ip index), described as the manifest describes the saved one
  const given = indexFactory(m.dIn, String(rec['--factory']), rec['--metric'] as RunOptions['metric']);
  cmp('--factory', m.factory, describeIndex(given));
  cmp('--metric', m.metric, given.metric);
  cmp('--fix-emb', extra.fixEmb ?? 'query, doc', rec['--fix-emb']);
  const saved = extra.cli;
  if (saved) for (const [flag, given] of Object.entries(rec)) cmp(flag, saved[flag], given);
  if (differ.size > 0) {
    const lines = [...differ].map(([flag, [a, b]]) => `  ${flag}: the checkpoint's run used ${show(a)}, this command gives ${show(b)}`);
    throw new LibvqError(
      'INVALID_ARGUMENT',
      `--resume: ${dir} was saved by a run with other options:\n${lines.join('\n')}\n` +
        'resume with the same options (only --epochs, -o, --plot and the input paths may change), or start a new run without --resume',
    );
  }
  const done = extra.train?.epochsDone;
  if (typeof done === 'number' && epochs < done) {
    throw new LibvqError('INVALID_ARGUMENT', `--epochs ${epochs}: ${dir} has already done ${done} epochs; give --epochs ${done} or more`);
  }
  return saved ? null : `${dir} has no record of the options that started its run (saved by the library or an older libvq): only its index structure was checked`;
}

/** What --resume is about to do: continue training, or (every epoch done) only write the output. */
export function resumeMessage(dir: string, epochsDone: number, epochs: number, out: string): string {
  if (epochsDone >= epochs) return `the run saved in ${dir} has done all its ${epochs} epochs: writing its output ${out}`;
  return `resuming after epoch ${epochsDone} from ${dir}`;
}
