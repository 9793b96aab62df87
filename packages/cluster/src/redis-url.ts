import type { ConnectionOptions } from 'bullmq';
import { LibvqError } from '@libvq/index-core';

/**
 * A Redis URL as Redis users write it — redis://[user[:password]@]host[:port][/db], or rediss:// for TLS — turned
 * into the connection options BullMQ passes to ioredis. Workers need `maxRetriesPerRequest: null` (BullMQ's rule):
 * a blocking command must wait out a Redis restart, not fail the worker.
 */
export function redisConnection(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LibvqError('INVALID_ARGUMENT', `--redis: expected a URL such as redis://127.0.0.1:6379 or rediss://user:password@host:6380/0, got ${JSON.stringify(redactRedisUrl(url))}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new LibvqError('INVALID_ARGUMENT', `--redis ${redactRedisUrl(url)}: expected the scheme redis:// or rediss:// (TLS), got ${u.protocol}//`);
  }
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) throw new LibvqError('INVALID_ARGUMENT', `--redis ${redactRedisUrl(url)}: the path must be a database number (/0, /1, ...), got /${path}`);
  const port = u.port === '' ? 6379 : Number(u.port);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
    maxRetriesPerRequest: null,
  };
}

/** The URL with its password replaced by "***": what logs, errors and progress lines show. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_all, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return `${scheme}${colon < 0 ? auth : `${auth.slice(0, colon)}:***`}@`;
  });
}
