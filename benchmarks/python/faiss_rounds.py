"""Reference side of the interleaved rounds (glove-rounds.ts): one faiss index, built once, searched in fresh processes.

Usage: faiss_rounds.py SPEC.json OUT.json
SPEC: {"mode": "build" | "search", "index": "ref.faiss", "base": "base.f32", "queries": "q.f32", "dim": 100,
       "metric": "ip" | "l2", "factory": "IVF1024,PQ20x8", "seed": 1234, "threads": 1, "nprobes": [...], "k": 100}
build: trains (faiss_ivfpq.py's make_index: the coarse k-means seeded, polysemous training off) and adds the base, then writes
the index. search: reads it and times a search of every query at each nprobe with faiss_ivfpq.py's timed_batches.
"""
import json
import sys

import faiss
import numpy as np

from faiss_ivfpq import make_index, timed_batches


def main():
    spec_path, out_path = sys.argv[1:3]
    spec = json.load(open(spec_path))
    d = int(spec['dim'])
    faiss.omp_set_num_threads(spec.get('threads', 1))
    if spec['mode'] == 'build':
        xb = np.fromfile(spec['base'], dtype='<f4').reshape(-1, d)
        index = make_index(spec, d)
        index.train(xb)
        index.add(xb)
        faiss.write_index(index, spec['index'])
        json.dump({'faiss_version': faiss.__version__}, open(out_path, 'w'))
        return
    xq = np.fromfile(spec['queries'], dtype='<f4').reshape(-1, d)
    index = faiss.read_index(spec['index'])
    ivf = faiss.extract_index_ivf(index)
    runs = []
    for nprobe in spec['nprobes']:
        ivf.nprobe = nprobe
        seconds, reps, labels = timed_batches(lambda: index.search(xq, spec['k'])[1])
        runs.append({'nprobe': nprobe, 'seconds': seconds, 'reps': reps, 'labels': labels.ravel().tolist()})
    json.dump({'faiss_version': faiss.__version__, 'runs': runs}, open(out_path, 'w'))


if __name__ == '__main__':
    main()
