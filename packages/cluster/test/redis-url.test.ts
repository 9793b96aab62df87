import { describe, expect, it } from 'vitest';
import { redactRedisUrl, redisConnection } from '../src/redis-url.js';

describe('Redis URLs', () => {
  it('redis:// and rediss:// with user, password, port and db become ioredis options', () => {
    expect(redisConnection('redis://127.0.0.1:6380/2')).toEqual({ host: '127.0.0.1', port: 6380, db: 2, maxRetriesPerRequest: null });
    expect(redisConnection('rediss://alice:p%40ss@cache.example:6390')).toEqual({
      host: 'cache.example', port: 6390, db: 0, username: 'alice', password: 'p@ss', tls: { servername: 'cache.example' }, maxRetriesPerRequest: null,
    });
    expect(redisConnection('redis://:only-pw@h')).toMatchObject({ host: 'h', port: 6379, password: 'only-pw' });
  });

  it('bad URLs are named without their password', () => {
    expect(() => redisConnection('http://u:secret@h')).toThrow('--redis http://u:***@h: expected the scheme redis:// or rediss:// (TLS), got http://');
    expect(() => redisConnection('redis://u:secret@h/x')).toThrow(/must be a database number/);
    expect(() => redisConnection('not a url secret')).toThrow(/expected a URL/);
  });

  it('redaction keeps the user and hides the password', () => {
    expect(redactRedisUrl('rediss://alice:s3cret@h:1/0')).toBe('rediss://alice:***@h:1/0');
    expect(redactRedisUrl('redis://:s3cret@h')).toBe('redis://:***@h');
    expect(redactRedisUrl('redis://h:6379')).toBe('redis://h:6379');
  });
});
