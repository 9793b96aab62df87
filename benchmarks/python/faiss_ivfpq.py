"""Reference side of the GloVe-100 benchmark: Debian's faiss on the same split, single-threaded.

Usage: faiss_ivfpq.py BASE.f32 QUERIES.f32 DIM SPEC.json OUT.json
SPEC: {"factory": "...", "nprobes": [...], "k": 100, "threads": 1, "seed": 1234}
"""
import json
import sys
import time

import faiss
import numpy as np


def blas_name():
    # faiss links BLAS dynamically; the mapped library tells which one this process really uses.
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1].rsplit('/', 1)[-1] for line in f if '.so' in line}
        hits = sorted(l for l in libs if 'blas' in l or 'lapack' in l)
        return ', '.join(hits) or 'unknown'
    except OSError:
        return 'unknown'


def main():
    base_path, q_path, dim, spec_path, out_path = sys.argv[1:6]
    d = int(dim)
    spec = json.load(open(spec_path))
    faiss.omp_set_num_threads(spec.get('threads', 1))
    xb = np.fromfile(base_path, dtype='float32').reshape(-1, d)
    xq = np.fromfile(q_path, dtype='float32').reshape(-1, d)
    index = faiss.index_factory(d, spec['factory'], faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.extract_index_ivf(index)
    ivf.cp.seed = spec.get('seed', 1234)
    t0 = time.perf_counter()
    index.train(xb)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.add(xb)
    add_s = time.perf_counter() - t0
    runs = []
    for nprobe in spec['nprobes']:
        ivf.nprobe = nprobe
        index.search(xq[:10], spec['k'])  # warm-up
        t0 = time.perf_counter()
        D, I = index.search(xq, spec['k'])
        dt = time.perf_counter() - t0
        runs.append({'nprobe': nprobe, 'seconds': dt, 'labels': I.ravel().tolist()})
    code_bytes = ivf.invlists.compute_ntotal() if hasattr(ivf.invlists, 'compute_ntotal') else None
    json.dump({
        'faiss_version': faiss.__version__,
        'blas': blas_name(),
        'threads': spec.get('threads', 1),
        'train_s': train_s,
        'add_s': add_s,
        'index_bytes': int(faiss.serialize_index(index).size),
        'runs': runs,
        'ntotal': int(index.ntotal),
        'code_bytes': code_bytes,
    }, open(out_path, 'w'))


if __name__ == '__main__':
    main()
