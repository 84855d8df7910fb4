// The one Redis client, decorated as app.redis by @fastify/redis: a single server, a Cluster or
// the primary that Sentinels name, with the guards that keep its replies paired with their
// commands. Everything that talks to Redis (the key-value store, and through it the sessions and
// the rate limits) takes it from app.redis. Not registered when no Redis is configured.
import type { Socket } from 'node:net';
import { fastifyRedis } from '@fastify/redis';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.ts';

/**
 * Closes a connection at once: its socket is destroyed, not ended (ioredis's own disconnect()
 * sends FIN and waits up to 2 s, while bytes still unsent in our buffer could reach the server
 * later). Every command pending on it is rejected, none is sent again
 * (autoResendUnfulfilledCommands off), and ioredis reconnects in place: the same instance that
 * everyone holds.
 */
function closeConnection(redis: Redis): void {
  streamOf(redis)?.destroy();
}

/** Closes every connection of the client (each node's, on a Cluster). */
export function closeConnections(client: Redis | Cluster): void {
  for (const node of 'nodes' in client ? client.nodes() : [client]) closeConnection(node);
}

/**
 * A command that timed out may have lost its reply (a proxy or middlebox dropping bytes): every
 * later reply on that connection would then answer the wrong command, and one user could be
 * served another's session. So a timeout closes the connection it was sent on, and only that
 * one: a command stranded on a connection that is already gone must not take down its
 * successor. (A reply paired with the wrong command while traffic never pauses long enough for
 * a timeout is caught by the store's nonces: see onProtocolDoubt.)
 */
function closeOnTimeout(redis: Redis, onClose: () => void): void {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command, stream) => {
    const sentOn = streamOf(redis);
    const reply = send(command, stream);
    command.promise.catch((error: unknown) => {
      const current = streamOf(redis);
      if (error instanceof Error && error.message === 'Command timed out' && current && current === sentOn) {
        onClose();
        closeConnection(redis);
      }
    });
    return reply;
  }) as Redis['sendCommand'];
}

const streamOf = (redis: Redis) => (redis as unknown as { stream?: Socket }).stream;

/**
 * With autoResendUnfulfilledCommands off, ioredis drops the commands still waiting for a reply
 * when their connection closes, without settling them: each would wait for its own timeout.
 * They are rejected at once instead, so a request fails fast and nothing is left pending.
 */
function failPendingOnClose(redis: Redis): void {
  // flushQueue is ioredis's own (private in its types), the one it uses when it gives up.
  const client = redis as unknown as { flushQueue(error: Error, options: { offlineQueue: boolean }): void };
  redis.on('close', () => client.flushQueue(new Error('Connection is closed.'), { offlineQueue: false }));
}

type RedisConfig = Extract<Config['redis'], { kind: 'redis' }>;

/**
 * One client for everything (sessions, the store, the rate-limit store), reconnected in place:
 * a single server, a Cluster, or the primary that Sentinels name (ioredis follows a failover).
 */
function connect(config: RedisConfig, app: FastifyInstance): Redis | Cluster {
  const options: RedisOptions = {
    // No queueing while disconnected: a request fails at once (503) instead of hanging,
    // and ioredis keeps reconnecting in the background, so service resumes by itself.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    ...(config.password ? { password: config.password } : {}),
  };
  const guard = (node: Redis) => {
    closeOnTimeout(node, () => {
      app.metrics.backendTimeout('redis');
      app.log.warn('Redis command timed out: closing the connection');
    });
    failPendingOnClose(node);
    watchHandshake(node, config.connectTimeoutMs);
  };
  const { topology } = config;
  if ('cluster' in topology) {
    const cluster = new Cluster(topology.cluster, {
      enableOfflineQueue: false,
      redisOptions: options,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      slotsRefreshTimeout: config.connectTimeoutMs,
    });
    // Each node's connection gets the same guards as a single server's.
    cluster.on('+node', guard);
    return cluster;
  }
  const redis =
    'url' in topology
      ? new Redis(topology.url, options)
      : new Redis({
          ...options,
          sentinels: topology.sentinels,
          name: topology.name,
          // A Sentinel that stalls (or a path that swallows its bytes) would otherwise leave the
          // lookup of the primary, and with it the client, waiting forever.
          sentinelCommandTimeout: config.commandTimeoutMs,
          sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
        });
  guard(redis);
  return redis;
}

/**
 * connectTimeout covers the TCP connect only; the handshake after it (the ready check) has no
 * timeout of its own, so a path that swallows bytes would leave the client "connecting" forever.
 * A handshake that does not finish in time closes the connection and starts again.
 */
function watchHandshake(redis: Redis, timeoutMs: number): void {
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  redis.on('connect', () => {
    stop();
    timer = setTimeout(() => {
      timer = undefined;
      if (redis.status !== 'ready') redis.disconnect(true);
    }, timeoutMs);
  });
  redis.on('ready', stop);
  redis.on('close', stop);
}

export default fp(
  async function redisPlugin(app: FastifyInstance) {
    const config = app.config.redis;
    if (config.kind === 'memory') return;
    const redis = connect(config, app);
    let lastError = '';
    redis.on('error', (err) => {
      // Logged once per distinct error, not at every reconnection attempt.
      if (err.message !== lastError) app.log.warn({ err }, 'Redis connection error');
      lastError = err.message;
    });
    redis.on('ready', () => {
      if (lastError) app.log.info('Redis connection restored');
      lastError = '';
    });
    // @fastify/redis waits for 'ready' before it lets the app start (see its source), so with
    // Redis down the API could not start at all. Its plugin function is run directly instead:
    // it decorates app.redis with this one client at once and finishes its wait in the
    // background. The API starts either way; /readyz says when Redis answers.
    fastifyRedis(app, { client: redis, closeClient: false }, (err?: Error) => {
      if (err) app.log.error({ err }, 'Redis refused the connection');
    });
    // Start-up gives Redis one connect timeout to answer, so the first requests find it ready;
    // a Redis that is down does not stop the start (it costs 503s until it is back).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, config.connectTimeoutMs);
      redis.once('ready', done);
      function done() {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      }
    });
    app.addHook('onClose', async () => {
      // QUIT waits for the server; when it is gone, just drop the socket.
      await Promise.race([redis.quit().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
      redis.disconnect();
    });
  },
  { name: 'redis', dependencies: ['config', 'metrics'] },
);
