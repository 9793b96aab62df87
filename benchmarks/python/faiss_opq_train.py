"""Reference side of benchmarks/results/opq-train-time.md: Debian's faiss trains OPQ20,IVF1024,PQ20x8 (inner
product) on BASE.npy with faiss's defaults (OPQ niter 50 on 65,536 sampled points; IVF k-means on up to 256 points
per list; PQ on 65,536 residuals) or the OPQ settings given, then adds BASE and reports R@1, 10-R@10 and 10-R@100
of QUERIES.npy at nprobe 16 against exact inner-product search.

Usage: faiss_opq_train.py BASE.npy QUERIES.npy THREADS [OPQ_NITER [OPQ_TRAIN_POINTS]]
Prints one JSON line: train_s (wall), train_cpu_s (process CPU, all threads), add_s and the recalls.
"""
import json
import sys
import time

import faiss
import numpy as np

base_path, queries_path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
niter = int(sys.argv[4]) if len(sys.argv) > 4 else 50
points = int(sys.argv[5]) if len(sys.argv) > 5 else 65536
faiss.omp_set_num_threads(threads)
xb = np.load(base_path)
xq = np.load(queries_path)
index = faiss.index_factory(xb.shape[1], 'OPQ20,IVF1024,PQ20x8', faiss.METRIC_INNER_PRODUCT)
opq = faiss.downcast_VectorTransform(index.chain.at(0))
opq.niter = niter
opq.max_train_points = points
c0, t0 = time.process_time(), time.perf_counter()
index.train(xb)
t1, c1 = time.perf_counter(), time.process_time()
index.add(xb)
t2 = time.perf_counter()
faiss.extract_index_ivf(index).nprobe = 16
_, I = index.search(xq, 100)
exact = faiss.IndexFlatIP(xb.shape[1])
exact.add(xb)
_, T = exact.search(xq, 10)
n = len(xq)
print(json.dumps({
    'threads': threads, 'opq_niter': niter, 'opq_train_points': points,
    'train_s': round(t1 - t0, 2), 'train_cpu_s': round(c1 - c0, 2), 'add_s': round(t2 - t1, 2),
    'R@1': float(np.mean(I[:, 0] == T[:, 0])),
    '10-R@10': float(np.mean([len(set(I[i, :10]) & set(T[i])) / 10 for i in range(n)])),
    '10-R@100': float(np.mean([len(set(I[i]) & set(T[i])) / 10 for i in range(n)])),
}))
