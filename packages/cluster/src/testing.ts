/** @libvq/cluster/testing: a throwaway real redis-server for tests of cluster pipelines (yours and ours). */
export { startRedis, type RedisServer } from './testing/redis-server.js';
