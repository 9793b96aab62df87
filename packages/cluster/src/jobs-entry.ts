/**
 * @libvq/cluster/jobs: the building blocks of a cluster run — the job data and results, the jobs as plain async
 * functions (what a worker runs; callable without a queue), and the shard file between them.
 */
export {
  planShards, JOB_NAMES, type JobName, type VectorFileRef, type TrainedRef, type TrainJobData, type TrainJobResult, type EncodeJobData,
  type EncodeJobResult, type MergeJobData, type MergeJobResult, type JobProgress,
} from './jobs.js';
export { runTrainJob, runEncodeJob, runMergeJob, loadTrainedIndex, type ReportProgress } from './process-jobs.js';
export { readShardFile, writeShardFile, type ShardFileInfo, type EncodedShard } from './shard-file.js';
export { redactRedisUrl, redisConnection } from './redis-url.js';
export { describeQueue } from './worker.js';
