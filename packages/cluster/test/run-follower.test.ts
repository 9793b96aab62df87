import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Job, Queue, Worker } from 'bullmq';
import { startRedis, type RedisServer } from '../src/testing.js';
import { RunFollower } from '../src/run-follower.js';
import { connectionOf } from '../src/worker.js';

/*
 * Following a run reads a job's state and the job itself from Redis, two reads: a job that finishes between them must
 * still come back with its result. The race is made to happen every time: reading the job completes it (as a worker
 * would, at that moment) before the read returns.
 */
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  vi.restoreAllMocks();
  await redis?.stop();
});

describe('RunFollower', () => {
  it('returns the result of a job that completes between the reads of its state and of the job', async () => {
    const connection = connectionOf(redis.url);
    const queue = new Queue('race', { connection });
    const worker = new Worker('race', null, { connection, autorun: false });
    try {
      await queue.add('train', { n: 1 }, { jobId: 'train-1' });
      const token = 'test-token';
      const active = await worker.getNextJob(token);
      expect(active?.id).toBe('train-1');
      const fromId = Job.fromId.bind(Job);
      let completed = false;
      vi.spyOn(Job, 'fromId').mockImplementation(async (q, id) => {
        const job = await fromId(q, id);
        if (!completed) {
          completed = true;
          await active!.moveToCompleted({ path: '/runs/trained.faiss' }, token, false);
        }
        return job;
      });
      const follower = new RunFollower(queue, { redis: redis.url, queue: 'race', pollMs: 10 });
      expect(await follower.untilDone('train-1', 'train', 'train job train-1')).toEqual({ path: '/runs/trained.faiss' });
      expect(completed).toBe(true);
    } finally {
      vi.restoreAllMocks();
      await worker.close();
      await queue.close();
    }
  });
});
