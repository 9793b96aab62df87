// The entry of an index worker thread: loads every module that registers a job runner or a replica builder
// (parallel/jobs.ts, parallel/replica.ts), then starts the thread's message loop. tsup builds it as
// dist/parallel-worker.js; parallel/pool.ts spawns it.
import './kmeans.js';
import './product-quantizer.js';
import './parallel/index-jobs.js';
import './indexes/index-flat.js';
import './indexes/index-pq.js';
import './indexes/index-pq-fast-scan.js';
import './indexes/index-ivf-flat.js';
import './indexes/index-ivf-pq.js';
import './indexes/index-ivf-pq-fast-scan.js';
import './indexes/index-pretransform.js';
import './indexes/train-on-worker.js';
import './io/register-codec.js';
import './parallel/worker.js';
