# Side by side (2 of 3), faiss in Python (Debian: python3-faiss): the job of libvq.ts on the same files. Not named
# faiss.py: Python puts the script's directory first on sys.path, so "import faiss" would import the script.
# Usage: python3 faiss_python.py DATA_DIR OUT_DIR (DATA_DIR: base.npy, queries.npy).
import json
import os
import sys

import faiss
import numpy as np

data, out = sys.argv[1:3]
x = np.load(os.path.join(data, "base.npy"))
q = np.load(os.path.join(data, "queries.npy"))
ids = np.arange(len(x), dtype=np.int64) + 1000

# "np": no polysemous training, a codeword re-ordering for Hamming filtering that leaves these results unchanged
# (and that took about a minute on these 10,000 vectors, on a 2-core machine).
index = faiss.index_factory(x.shape[1], "IVF64,PQ8x8np", faiss.METRIC_L2)
index.train(x)
index.add_with_ids(x, ids)
_, found = index.search(q, 10, params=faiss.SearchParametersIVF(nprobe=8))
faiss.write_index(index, os.path.join(out, "faiss.faiss"))
loaded = faiss.read_index(os.path.join(out, "faiss.faiss"))
_, again = loaded.search(q, 10, params=faiss.SearchParametersIVF(nprobe=8))

# Brute force over the same ids: the exact answer the compressed index is measured against.
flat = faiss.IndexIDMap(faiss.IndexFlatL2(x.shape[1]))
flat.add_with_ids(x, ids)
_, exact = flat.search(q, 10)

print(json.dumps({"ivfpq": found.tolist(), "reloaded": again.tolist(), "exact": exact.tolist()}))
