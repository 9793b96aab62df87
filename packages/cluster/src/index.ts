/**
 * @libvq/cluster: libvq's batch work on many processes and machines, as BullMQ jobs on Redis. The single-machine
 * packages never load it; `libvq cluster ...` and `libvq worker` do. Job-level pieces: @libvq/cluster/jobs.
 */
export { buildOnCluster, encodeOnCluster, type ClusterBuildOptions, type ClusterEncodeOptions, type ClusterBuildResult } from './cluster-build.js';
export { embedOnCluster, type ClusterEmbedOptions, type ClusterEmbedResult } from './cluster-embed.js';
export { labelOnCluster, type ClusterLabelOptions, type ClusterLabelResult } from './cluster-label.js';
export { startWorker, type ClusterConnection, type ClusterWorker, type WorkerOptions } from './worker.js';
