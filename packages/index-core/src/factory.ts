import { checkDimension } from './limits.js';
import type { Backend } from './backend/types.js';
import { LibvqError, invalidArgument } from './errors.js';
import { IndexFlat } from './indexes/index-flat.js';
import { IndexIVF } from './indexes/index-ivf.js';
import { IndexIVFFlat } from './indexes/index-ivf-flat.js';
import { IndexIVFPQ } from './indexes/index-ivf-pq.js';
import { IndexPQ } from './indexes/index-pq.js';
import { IndexPQFastScan } from './indexes/index-pq-fast-scan.js';
import { IndexIVFPQFastScan } from './indexes/index-ivf-pq-fast-scan.js';
import { IndexPreTransform } from './indexes/index-pretransform.js';
import type { Index } from './indexes/index.js';
import { DEFAULT_METRIC, checkMetricOrCosine, type MetricOrCosine } from './metric.js';
import { NormalizationTransform } from './normalization.js';
import { OPQMatrix } from './opq.js';
import type { VectorTransform } from './transform.js';

/**
 * Parsed factory description:
 *   description := (transform ",")* (coarse ",")? code
 *   transform   := "OPQ" M ("_" dOut)? | "L2norm"      coarse := "IVF" nlist
 *   code        := "Flat" | "PQ" M ("x" nbits)? | "PQ" M "x4fs" "r"?
 * x4fs: 4-bit codes searched by fast-scan; with IVF, as in faiss, "x4fs" encodes the vectors and "x4fsr" their
 * residuals to the list centroid.
 */
export interface FactorySpec {
  transforms: ({ kind: 'OPQ'; M: number; dOut?: number } | { kind: 'L2norm' })[];
  ivf?: { nlist: number };
  code: { kind: 'Flat' } | { kind: 'PQ'; M: number; nbits: number; fastScan?: 'fs' | 'fsr' };
}

/** Bounds that keep a typo ("IVF99999999999999999999") from driving a huge allocation; faiss users stay far below. */
const MAX_NLIST = 1 << 24;
const MAX_M = 1 << 16;

export function parseFactory(description: string): FactorySpec {
  if (typeof description !== 'string' || description.trim() === '') {
    throw new LibvqError('BAD_FACTORY', `index factory: expected a description like "OPQ32,IVF1024,PQ32x8", got ${JSON.stringify(description)}`);
  }
  const parts = description.split(',').map((p) => p.trim());
  const bad = (frag: string, expected: string) =>
    new LibvqError('BAD_FACTORY', `index factory: cannot parse "${frag}" in "${description}": expected ${expected}`);
  const spec: FactorySpec = { transforms: [], code: { kind: 'Flat' } };
  let i = 0;
  for (; i < parts.length - 1; i++) {
    if (parts[i] === 'L2norm') {
      spec.transforms.push({ kind: 'L2norm' });
      continue;
    }
    const m = /^OPQ(\d+)(?:_(\d+))?$/.exec(parts[i]);
    if (!m) break;
    spec.transforms.push({ kind: 'OPQ', M: Number(m[1]), ...(m[2] !== undefined ? { dOut: Number(m[2]) } : {}) });
  }
  if (i < parts.length - 1) {
    const m = /^IVF(\d+)$/.exec(parts[i]);
    if (!m) throw bad(parts[i], 'a transform "OPQ<M>[_<d>]" / "L2norm" or a coarse quantizer "IVF<nlist>"');
    spec.ivf = { nlist: Number(m[1]) };
    i++;
  }
  if (i !== parts.length - 1) throw bad(parts[i], 'the code "Flat" or "PQ<M>[x<nbits>]" as the last part');
  const last = parts[i];
  if (last === 'Flat') spec.code = { kind: 'Flat' };
  else {
    const m = /^PQ(\d+)(?:x(\d+)(fsr?)?)?$/.exec(last);
    if (!m) throw bad(last, 'the code "Flat", "PQ<M>[x<nbits>]" or "PQ<M>x4fs[r]"');
    const nbits = m[2] === undefined ? 8 : Number(m[2]);
    if (nbits < 1 || nbits > 8) throw bad(last, 'nbits from 1 to 8');
    if (m[3] !== undefined && nbits !== 4) throw bad(last, 'fast-scan codes of 4 bits ("PQ<M>x4fs")');
    if (m[3] === 'fsr' && !spec.ivf) throw bad(last, '"PQ<M>x4fs" without an IVF ("x4fsr", residuals, needs lists)');
    spec.code = { kind: 'PQ', M: Number(m[1]), nbits, ...(m[3] !== undefined ? { fastScan: m[3] as 'fs' | 'fsr' } : {}) };
  }
  const opqs = spec.transforms.flatMap((t) => (t.kind === 'OPQ' ? [t] : []));
  for (const t of opqs) if (t.M <= 0) throw bad(`OPQ${t.M}`, 'M ≥ 1');
  if (spec.ivf && (spec.ivf.nlist <= 0 || spec.ivf.nlist > MAX_NLIST)) throw bad(`IVF${parts.find((p) => p.startsWith('IVF'))?.slice(3)}`, `nlist from 1 to ${MAX_NLIST} (2^24)`);
  for (const [what, m] of [...opqs.map((t) => ['OPQ', t.M] as const), ...(spec.code.kind === 'PQ' ? [['PQ', spec.code.M] as const] : [])]) {
    if (m > MAX_M) throw bad(`${what}${m}`, `M from 1 to ${MAX_M}`);
  }
  if (spec.code.kind === 'PQ' && spec.code.M <= 0) throw bad(last, 'M ≥ 1');
  return spec;
}

export function formatFactory(spec: FactorySpec): string {
  const parts = spec.transforms.map((t) => (t.kind === 'L2norm' ? 'L2norm' : `OPQ${t.M}${t.dOut !== undefined ? `_${t.dOut}` : ''}`));
  if (spec.ivf) parts.push(`IVF${spec.ivf.nlist}`);
  parts.push(spec.code.kind === 'Flat' ? 'Flat' : `PQ${spec.code.M}x${spec.code.nbits}${spec.code.fastScan ?? ''}`);
  return parts.join(',');
}

/** Training knobs of the factory's parts that the description string does not carry. */
export interface FactoryOptions {
  /** OPQ rotations: alternating iterations (faiss: 50) and training points used (faiss: 65,536). */
  opq?: { niter?: number; maxTrainPoints?: number };
}

/**
 * Builds an untrained index from a faiss factory string (faiss's index_factory). `metric` defaults to 'ip'
 * (LibVQ's). 'cosine' is 'L2norm,<description>' with 'ip': the index normalises what it adds and searches
 * (faiss has no cosine metric; the file stores ip and an L2norm transform, and describeIndex says "L2norm,...").
 */
export function indexFactory(
  d: number, description: string, metric: MetricOrCosine = DEFAULT_METRIC, backend?: string | Backend, options: FactoryOptions = {},
): Index {
  checkDimension(d, 'd (dimension)');
  checkMetricOrCosine(metric);
  const spec = parseFactory(description);
  // Normalising twice changes nothing, so a description that already starts with L2norm keeps its one.
  if (metric === 'cosine' && spec.transforms[0]?.kind !== 'L2norm') spec.transforms.unshift({ kind: 'L2norm' });
  const indexMetric = metric === 'cosine' ? 'ip' : metric;
  const transforms: VectorTransform[] = [];
  let dim = d;
  for (const t of spec.transforms) {
    if (t.kind === 'L2norm') {
      transforms.push(new NormalizationTransform(dim));
      continue;
    }
    const opq = new OPQMatrix(dim, t.M, t.dOut ?? dim);
    const o = options.opq;
    if (o?.niter !== undefined) opq.niter = positiveInteger(o.niter, 'options.opq.niter');
    if (o?.maxTrainPoints !== undefined) opq.maxTrainPoints = positiveInteger(o.maxTrainPoints, 'options.opq.maxTrainPoints');
    transforms.push(opq);
    dim = opq.dOut;
  }
  let index: Index;
  const code = spec.code;
  if (spec.ivf) {
    index =
      code.kind === 'Flat'
        ? new IndexIVFFlat(dim, spec.ivf.nlist, indexMetric, backend)
        : code.fastScan
          ? new IndexIVFPQFastScan(dim, spec.ivf.nlist, code.M, indexMetric, backend, undefined, code.fastScan === 'fsr')
          : new IndexIVFPQ(dim, spec.ivf.nlist, code.M, code.nbits, indexMetric, backend);
  } else if (code.kind === 'Flat') index = new IndexFlat(dim, indexMetric, backend);
  else index = code.fastScan ? new IndexPQFastScan(dim, code.M, indexMetric, backend) : new IndexPQ(dim, code.M, code.nbits, indexMetric, backend);
  return transforms.length > 0 ? new IndexPreTransform(transforms, index) : index;
}

/** The factory string describing an index (the inverse of indexFactory). */
export function describeIndex(index: Index): string {
  const spec: FactorySpec = { transforms: [], code: { kind: 'Flat' } };
  let inner = index;
  if (inner instanceof IndexPreTransform) {
    for (const t of inner.chain) {
      if (t instanceof NormalizationTransform) {
        spec.transforms.push({ kind: 'L2norm' });
        continue;
      }
      if (!(t instanceof OPQMatrix)) throw new LibvqError('UNSUPPORTED', `describeIndex: transform ${t.constructor.name} has no factory name`);
      spec.transforms.push({ kind: 'OPQ', M: t.M, ...(t.dOut !== t.dIn ? { dOut: t.dOut } : {}) });
    }
    inner = inner.index;
  }
  if (inner instanceof IndexIVF) spec.ivf = { nlist: inner.nlist };
  if (inner instanceof IndexPQ || inner instanceof IndexIVFPQ) {
    const fastScan = inner instanceof IndexPQFastScan ? 'fs' : inner instanceof IndexIVFPQFastScan ? (inner.byResidual ? 'fsr' : 'fs') : undefined;
    spec.code = { kind: 'PQ', M: inner.pq.M, nbits: inner.pq.nbits, ...(fastScan ? { fastScan } : {}) };
  }
  else if (!(inner instanceof IndexFlat || inner instanceof IndexIVFFlat)) {
    throw new LibvqError('UNSUPPORTED', `describeIndex: ${inner.constructor.name} has no factory name`);
  }
  return formatFactory(spec);
}

function positiveInteger(v: number, name: string): number {
  if (!Number.isInteger(v) || v <= 0) throw invalidArgument(name, 'a positive integer', v);
  return v;
}
