/**
 * @libvq/cluster/jobs: the building blocks of a cluster run — the job data and results, the jobs as plain async
 * functions (what a worker runs; callable without a queue), and the shard file between them.
 */
export {
  planShards, JOB_NAMES, type JobName, type VectorFileRef, type TrainedRef, type TrainJobData, type TrainJobResult, type EncodeJobData,
  type EncodeJobResult, type MergeJobData, type MergeJobResult, type JobProgress, type LabelJobData, type LabelJobResult, type LabelMergeJobData,
  type LabelMergeJobResult,
} from './jobs.js';
export { runTrainJob, runEncodeJob, runMergeJob, runLabelJob, runLabelMergeJob, loadTrainedIndex, type ReportProgress } from './process-jobs.js';
export { readShardFile, writeShardFile, type ShardFileInfo, type EncodedShard } from './shard-file.js';
export { redactRedisUrl, redisConnection } from './redis-url.js';
export { describeQueue } from './worker.js';
export { newRunId, type RunOptions } from './run.js';
export type { FollowOptions } from './run-follower.js';
export { runEmbedJob, runEmbedMergeJob, type EmbedJobResult, type ModelLoader, type TextModel } from './process-embed.js';
export { planLineShards, type LineShard } from './line-shards.js';
export type { EmbedJobData, EmbedMergeJobData, EmbedMergeJobResult } from './jobs.js';
