import { Redis } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import { LibvqError } from '@libvq/index-core';

/**
 * One PING on a connection that does not retry, before a worker or a run starts: an unreachable server or refused
 * credentials become one clear error (naming the server, never the password) instead of BullMQ's connection
 * retrying forever. Also warns, as BullMQ asks, when Redis may evict keys (a run's jobs would vanish).
 */
export async function checkRedis(connection: ConnectionOptions, where: string, warn: (line: string) => void = () => {}): Promise<void> {
  if (connection instanceof Redis || typeof (connection as { host?: unknown }).host !== 'string') return;
  const client = new Redis({ ...(connection as object), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: 10_000 });
  // The socket's own error (ECONNREFUSED, ENOTFOUND, ...) says more than the rejected connect ("Connection is closed").
  let socketError: Error | undefined;
  client.on('error', (e: Error) => (socketError ??= e));
  try {
    await client.connect();
    await client.ping();
    const policy = await client.config('GET', 'maxmemory-policy').catch(() => null);
    if (Array.isArray(policy) && policy[1] && policy[1] !== 'noeviction') warn(`${where}: maxmemory-policy is ${String(policy[1])}; BullMQ needs noeviction, or a run's jobs may be evicted`);
  } catch (e) {
    const msg = (socketError ?? (e as Error)).message;
    const why = /WRONGPASS|NOAUTH|invalid username-password|AUTH/i.test(msg) ? `authentication refused (${msg.replace(/\s+/g, ' ').slice(0, 120)})` : msg;
    throw new LibvqError('IO', `cannot use Redis at ${where}: ${why}`, { cause: e });
  } finally {
    client.disconnect();
  }
}
