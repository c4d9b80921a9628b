// Redis for the grid queue: a redis://[user:password@]host:port[/db] URL as connection options,
// and a bounded first contact, so an unreachable server is an error naming the URL within
// seconds instead of ioredis retrying forever in silence.
import { Redis, type RedisOptions } from 'ioredis';

/** Redis unreachable or the URL malformed: the message names the URL. */
export class QueueConnectionError extends Error {
  override readonly name = 'QueueConnectionError';
}

/** How long the first contact may take before it is an error (connect + PING). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** ioredis options for BullMQ from a redis:// or rediss:// URL. */
export function redisOptions(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueConnectionError(`--queue must be a redis://HOST:PORT URL, got '${url}'`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new QueueConnectionError(`--queue must be a redis://HOST:PORT URL, got '${url}'`);
  if (parsed.hostname === '') throw new QueueConnectionError(`--queue ${url} names no host`);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new QueueConnectionError(`--queue ${url}: the path must be a database number, got '/${db}'`);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers block on Redis and must not give up on a command: it asks for null here.
    maxRetriesPerRequest: null,
    connectTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
  };
}

/**
 * Connects once, without retries or an offline queue, and PINGs: resolves when Redis answers,
 * throws QueueConnectionError naming the URL when it does not within `timeoutMs`.
 */
export async function probeRedis(url: string, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<void> {
  const client = new Redis({
    ...redisOptions(url), lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => { lastError = err; });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${(timeoutMs / 1000).toFixed(0)} s`)), timeoutMs);
    });
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
  } catch (err) {
    const reason = (lastError ?? (err instanceof Error ? err : new Error(String(err)))).message;
    throw new QueueConnectionError(`cannot reach Redis at ${url}: ${reason} (is redis-server running there, and reachable from this machine?)`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
