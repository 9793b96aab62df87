"""Reference side of the ANN benchmarks: Debian's faiss on the same vectors, same factory, same nprobe sweep.

Usage: faiss_ivfpq.py SPEC.json OUT.json
SPEC: {"base": "base.f32", "queries": "q.f32", "dim": 100, "metric": "ip" | "l2", "factory": "...",
       "nprobes": [...], "k": 100, "threads": 1, "seed": 1234,
       "opq": {"niter": 50, "max_train_points": 65536} (optional: OPQ training budget)}
The vector files are raw little-endian float32, row-major.

Training is timed in its pieces, which together are exactly what index.train() does in faiss 1.7.3
(IndexPreTransform::train trains each transform then applies it; IndexIVF::train is train_q1 then
train_residual): OPQ rotation (train + apply to the training set), coarse k-means (train_q1: Clustering
over the training set into the quantizer), PQ codebooks (train_residual: subsample, assign, residuals,
PQ k-means, precomputed tables). The pieces produce the same serialized index as index.train() for the
same seed (checked on faiss 1.7.3).
"""
import json
import resource
import sys
import time

import faiss
import numpy as np


def blas_name():
    # faiss links BLAS dynamically; the mapped library tells which one this process really uses.
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1].rsplit('/', 1)[-1] for line in f if '.so' in line}
        hits = sorted(lib for lib in libs if 'blas' in lib or 'lapack' in lib)
        return ', '.join(hits) or 'unknown'
    except OSError:
        return 'unknown'


def current_rss_bytes():
    # VmRSS: the resident set now (the high-water mark of the imports may lie above it).
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    raise RuntimeError('/proc/self/status has no VmRSS line')


def max_rss_bytes():
    # Linux reports ru_maxrss in KiB: the process's resident-set high-water mark so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


SEARCH_MIN_S = 0.5
SEARCH_MAX_REPS = 10


def timed_batches(search):
    # As libvq-ts's child (ours-child.ts): untimed passes over the whole batch until they add up to SEARCH_MIN_S,
    # then timed passes until they add up to SEARCH_MIN_S (each at least one, at most SEARCH_MAX_REPS); the median.
    t0 = time.perf_counter()
    labels = search()
    reps = 1
    while reps < SEARCH_MAX_REPS and time.perf_counter() - t0 < SEARCH_MIN_S:
        labels = search()
        reps += 1
    times = []
    while len(times) < SEARCH_MAX_REPS and (not times or sum(times) < SEARCH_MIN_S):
        t0 = time.perf_counter()
        labels = search()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], len(times), labels


def make_index(spec, d):
    # The spec's factory and metric, its coarse k-means seeded. faiss's factory turns on polysemous training for
    # IVF-PQ (a simulated-annealing reordering of the PQ codes for its Hamming pre-filter, most of its PQ training
    # time). libvq-ts has no such filter, and the reordering does not change ADC search results: off, as with the
    # factory's "np" suffix (PQ20x8np).
    metric = {'ip': faiss.METRIC_INNER_PRODUCT, 'l2': faiss.METRIC_L2}[spec['metric']]
    index = faiss.index_factory(d, spec['factory'], metric)
    ivf = faiss.extract_index_ivf(index)
    ivf.cp.seed = spec.get('seed', 1234)
    ivf_pq = faiss.downcast_index(ivf)
    if isinstance(ivf_pq, faiss.IndexIVFPQ):
        ivf_pq.do_polysemous_training = False
    return index


def train_in_pieces(index, xb, spec):
    phases = {'opq_s': 0.0, 'kmeans_s': 0.0, 'pq_s': 0.0}
    x = xb
    if isinstance(index, faiss.IndexPreTransform):
        for i in range(index.chain.size()):
            vt = faiss.downcast_VectorTransform(index.chain.at(i))
            if isinstance(vt, faiss.OPQMatrix) and spec.get('opq'):
                vt.niter = spec['opq'].get('niter', vt.niter)
                vt.max_train_points = spec['opq'].get('max_train_points', vt.max_train_points)
            t0 = time.perf_counter()
            vt.train(x)
            x = vt.apply_py(x)
            phases['opq_s'] += time.perf_counter() - t0
    ivf = faiss.extract_index_ivf(index)
    n = x.shape[0]
    x = np.ascontiguousarray(x, dtype='float32')
    t0 = time.perf_counter()
    ivf.train_q1(n, faiss.swig_ptr(x), False, ivf.metric_type)
    phases['kmeans_s'] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ivf.train_residual(n, faiss.swig_ptr(x))
    phases['pq_s'] = time.perf_counter() - t0
    ivf.is_trained = True
    index.is_trained = True
    return phases


def main():
    spec_path, out_path = sys.argv[1:3]
    spec = json.load(open(spec_path))
    d = int(spec['dim'])
    faiss.omp_set_num_threads(spec.get('threads', 1))
    xb = np.fromfile(spec['base'], dtype='<f4').reshape(-1, d)
    xq = np.fromfile(spec['queries'], dtype='<f4').reshape(-1, d)
    rss_after_load = current_rss_bytes()
    index = make_index(spec, d)
    ivf = faiss.extract_index_ivf(index)
    t0 = time.perf_counter()
    phases = train_in_pieces(index, xb, spec)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.add(xb)
    add_s = time.perf_counter() - t0
    runs = []
    for nprobe in spec['nprobes']:
        ivf.nprobe = nprobe
        seconds, reps, labels = timed_batches(lambda: index.search(xq, spec['k'])[1])
        runs.append({'nprobe': nprobe, 'seconds': seconds, 'reps': reps, 'labels': labels.ravel().tolist()})
    json.dump({
        'faiss_version': faiss.__version__,
        'blas': blas_name(),
        'threads': spec.get('threads', 1),
        'train_s': train_s,
        'opq_s': phases['opq_s'],
        'kmeans_s': phases['kmeans_s'],
        'pq_s': phases['pq_s'],
        'add_s': add_s,
        'index_bytes': int(faiss.serialize_index(index).size),
        'rss_after_load_bytes': rss_after_load,
        'peak_rss_bytes': max_rss_bytes(),
        'runs': runs,
        'ntotal': int(index.ntotal),
    }, open(out_path, 'w'))


if __name__ == '__main__':
    main()
