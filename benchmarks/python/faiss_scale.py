"""Reference side of `pnpm bench scale`: Debian's faiss building from a vector file larger than one wants to
load, the way faiss users do: the .npy is opened as a numpy memmap, the index is trained on a seeded sample of
its rows, then vectors are added batch by batch from the memmap.

Usage: faiss_scale.py SPEC.json OUT.json
SPEC: {"base": "base.npy", "queries": "queries.npy", "metric": "l2" | "ip", "factory": "...", "train_size": N,
       "batch_rows": B, "nprobes": [...], "k": 100, "seed": 1234, "threads": 1}
Memory is reported two ways: the peak resident set (VmHWM; it includes the memmap's file pages that happen
to be resident, which the kernel may drop at any time) and the peak anonymous resident set (RssAnon, sampled
after training and after every added batch: the memory faiss itself holds).
"""
import json
import resource
import sys
import time

import faiss
import numpy as np


def status_bytes(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) * 1024
    raise RuntimeError('/proc/self/status has no %s line' % key)


def main():
    spec = json.load(open(sys.argv[1]))
    faiss.omp_set_num_threads(spec.get('threads', 1))
    base = np.load(spec['base'], mmap_mode='r')
    queries = np.ascontiguousarray(np.load(spec['queries']), dtype='float32')
    n, d = base.shape
    metric = faiss.METRIC_INNER_PRODUCT if spec['metric'] == 'ip' else faiss.METRIC_L2
    fac = spec['factory']
    if 'PQ' in fac.split(',')[-1]:
        fac += 'np'  # no polysemous training (it does not change ADC search)
    index = faiss.index_factory(d, fac, metric)
    anon_peak = status_bytes('RssAnon')

    t0 = time.perf_counter()
    rng = np.random.default_rng(spec['seed'])
    t = min(spec['train_size'], n)
    rows = np.sort(rng.choice(n, size=t, replace=False))
    xt = np.ascontiguousarray(base[rows], dtype='float32')
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.cp.seed = spec['seed']
    index.train(xt)
    anon_peak = max(anon_peak, status_bytes('RssAnon'))
    del xt
    train_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    b = spec['batch_rows']
    for start in range(0, n, b):
        index.add(np.ascontiguousarray(base[start:start + b], dtype='float32'))
        anon_peak = max(anon_peak, status_bytes('RssAnon'))
    add_s = time.perf_counter() - t0

    runs = []
    for nprobe in spec['nprobes']:
        if ivf is not None:
            faiss.ParameterSpace().set_index_parameter(index, 'nprobe', nprobe)
        t0 = time.perf_counter()
        _, labels = index.search(queries, spec['k'])
        runs.append({'nprobe': nprobe, 'seconds': time.perf_counter() - t0, 'labels': labels.ravel().tolist()})
    anon_peak = max(anon_peak, status_bytes('RssAnon'))
    json.dump({
        'faiss_version': faiss.__version__,
        'train_size': int(t),
        'train_s': train_s,
        'add_s': add_s,
        'ntotal': int(index.ntotal),
        'peak_rss_bytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        'peak_anon_bytes': anon_peak,
        'runs': runs,
    }, open(sys.argv[2], 'w'))


main()
