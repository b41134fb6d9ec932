/**
 * One app instance for the event-socket scale-out test: an events-only RtmsClient (no HTTP endpoint) with a
 * RedisCoordinator, calling connectEvents on the simulator's event socket. Only the fleet's leader holds the socket.
 * Reports to the parent over IPC: leadership changes, sessions (and whether resumed), closed sessions; answers
 * `shutdown` by closing everything and reporting the handles still open (for the leak check).
 *
 * Environment: REDIS_URL, PREFIX, INSTANCE, CLIENT_ID, CLIENT_SECRET, EVENT_WS_URL, TOKEN_URL; optional LEASE_MS
 * (1 500), RENEW_MS (300), SCAN_MS (200), LOG=1 (logs on stderr).
 */
import { RtmsClient } from '../../src/index.js';
import { coordinatorFromEnv, env, logger, send } from './child.js';

const { redis, sub, coordinator } = await coordinatorFromEnv({ leaseMs: 1_500, renewMs: 300 });
const client = new RtmsClient({
  clientId: env['CLIENT_ID']!,
  clientSecret: env['CLIENT_SECRET']!,
  eventsOnly: true,
  media: ['transcript'],
  reconnect: { baseDelayMs: 200, maxDelayMs: 1000, jitter: 0.2, maxAttempts: 10 },
  coordinator,
  ...(logger ? { logger } : {}),
});
client.on('session', (session) => {
  send({ type: 'session', streamId: session.id, resumed: session.resumed, at: Date.now() });
  session.on('error', () => undefined);
  void session.closed().then((end) => send({ type: 'closed', streamId: session.id, cause: end.cause, at: Date.now() }));
});
client.on('eventStreamLeadership', (info) => send({ type: 'leader', leader: info.leader, epoch: info.epoch, at: Date.now() }));
client.on('eventStreamConnected', () => send({ type: 'connected', at: Date.now() }));
client.on('error', () => undefined);
const events = client.connectEvents({ url: env['EVENT_WS_URL']!, tokenUrl: env['TOKEN_URL']!, baseDelayMs: 100, maxDelayMs: 1_000 });
send({ type: 'up', state: events.state });

process.on('message', (m: { type?: string }) => {
  if (m?.type !== 'shutdown') return;
  void (async () => {
    await client.close({ closeStream: false });
    redis.destroy();
    sub.destroy();
    // Give the destroyed connections a tick to release their handles, then report what is still open.
    await new Promise((r) => setTimeout(r, 50));
    const open: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) if (r === 'TCPSocketWrap' || r === 'Timeout' || r === 'TCPServerWrap') open[r] = (open[r] ?? 0) + 1;
    send({ type: 'bye', open, eventState: events.state });
    process.disconnect?.();
  })();
});
