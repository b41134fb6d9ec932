/**
 * What a long-running consumer needs from its runtime besides serving webhooks, run under Bun and Deno by
 * scripts/check-runtimes.sh (and under Node as the baseline: `npx tsx test/runtimes/resilience.ts`):
 *
 * - JSON in binary WebSocket frames (Zoom's servers send some), decoded like text, non-ASCII included;
 * - a dropped media socket repaired by a media-only reconnect, a dropped signaling socket by a full one;
 * - a silent (half-open) connection caught by the idle watchdog and repaired;
 * - a stream the server terminates ends `stopped` with its stop reason;
 * - the event WebSocket (`client.connectEvents()`): OAuth token over `fetch`, then `meeting.rtms_started` and
 *   `meeting.rtms_stopped` delivered over the socket;
 * - a frame over `maxPayloadBytes` is never delivered: the client closes that socket (1009) and reconnects (Bun
 *   replaces the `ws` package with its own implementation, so the cap is checked here, not assumed);
 * - `node:diagnostics_channel` subscribers receive the state and webhook messages;
 * - everything closed, after which the process exits by itself.
 *
 * The simulator runs in the same process, under the same runtime. Exit code 0 when every check passed.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS, RtmsClient, StopReason, type RtmsSession } from 'rtms-client';
import { RtmsSimulator } from 'rtms-client/testing';
import { check, failures, run, runtime, until } from './harness.ts';

const credentials = { clientId: 'rs-client-id', clientSecret: 'rs-client-secret', webhookSecretToken: 'rs-webhook-token' };
const IDLE_TIMEOUT_MS = 1_500;

async function main(): Promise<void> {
  const t0 = Date.now();
  const published: string[] = [];
  const onState = (message: unknown): void => void published.push(`state:${String((message as { state?: unknown }).state)}`);
  const onWebhook = (message: unknown): void => void published.push(`webhook:${String((message as { outcome?: unknown }).outcome)}`);
  diagnosticsChannel.subscribe(DIAGNOSTICS_CHANNELS.sessionState, onState);
  diagnosticsChannel.subscribe(DIAGNOSTICS_CHANNELS.webhook, onWebhook);
  const client = new RtmsClient({
    ...credentials,
    reconnect: { baseDelayMs: 50, maxDelayMs: 100, jitter: 0, maxAttempts: 10 },
    idleTimeoutMs: IDLE_TIMEOUT_MS,
  });
  // Every frame the simulator sends is JSON in a binary WebSocket frame; no keep-alives, so silence is silence.
  const sim = await RtmsSimulator.start({ ...credentials, keepAliveIntervalMs: 0, drift: { kinds: ['binary'], rate: 1 } });
  console.log(`runtime ${runtime}; simulator on ${sim.baseUrl}`);
  try {
    const texts: string[] = [];
    const errors: string[] = [];
    /** `scope:cause` of each outage's first attempt, e.g. `media:RTMS_CONNECTION_LOST`. */
    const outages: string[] = [];
    let session: RtmsSession | undefined;
    client.on('session', (s) => {
      session = s;
      s.on('transcript', (t) => texts.push(t.text));
      s.on('error', (err) => errors.push(err.code));
      s.on('reconnecting', (info) => outages.push(`${info.scope}:${info.cause.code}`));
    });

    // Webhook path, binary frames.
    const stream = sim.createStream({ product: 'meeting' });
    const started = await client.handleWebhook(stream.webhook('started'));
    check(started.status === 200, `rtms_started handled: ${started.status}`);
    await stream.ready();
    stream.sendTranscript({ userId: 1, userName: 'Ada', text: 'binär: 日本語 ✓' });
    await until(() => texts.length === 1, 3_000, 'a transcript in a binary frame');
    check(texts[0] === 'binär: 日本語 ✓', `JSON in a binary frame decoded, non-ASCII intact: ${JSON.stringify(texts[0])}`);
    stream.sendRaw('media', new TextEncoder().encode('{"msg_type":17,"content":{"user_id":2,"user_name":"Raw","data":"raw bytes"}}'));
    await until(() => texts.length === 2, 3_000, 'a raw binary frame');
    check(texts[1] === 'raw bytes', 'a hand-made binary frame (Uint8Array) decoded');
    if (session === undefined) throw new Error('no session');
    const s = session;

    // A dropped media socket: media-only reconnect.
    stream.dropSocket('media');
    await until(() => stream.record.mediaConnections >= 2 && stream.isReady && s.state === 'streaming', 5_000, 'the media reconnect');
    check(stream.record.signalingConnections === 1 && s.stats().reconnects === 1 && outages[0] === 'media:RTMS_CONNECTION_LOST', `dropped media socket repaired by a media-only reconnect (signaling connections ${stream.record.signalingConnections})`);

    // A dropped signaling socket: full reconnect.
    stream.dropSocket('signaling');
    await until(() => stream.record.signalingConnections === 2 && stream.isReady && s.state === 'streaming', 8_000, 'the full reconnect');
    check(s.stats().reconnects === 2 && outages.includes('full:RTMS_CONNECTION_LOST'), 'dropped signaling socket repaired by a full reconnect');

    // Half-open: nothing arrives any more; the idle watchdog notices and reconnects.
    const frozenAt = Date.now();
    stream.freeze();
    await until(() => stream.record.signalingConnections === 3 && stream.isReady && s.state === 'streaming', 10_000, 'the idle reconnect');
    const repairedIn = Date.now() - frozenAt;
    // The watchdog counts from the last frame received, which came before freeze(): no lower bound on the time here.
    const idleOutage = outages.find((o) => o.endsWith('RTMS_IDLE_TIMEOUT'));
    check(idleOutage === 'full:RTMS_IDLE_TIMEOUT', `a silent connection caught by the idle watchdog (${IDLE_TIMEOUT_MS} ms) and repaired by a full reconnect in ${repairedIn} ms (${idleOutage ?? 'no idle outage'})`);
    stream.sendTranscript({ userId: 1, userName: 'Ada', text: 'after the repairs' });
    await until(() => texts.includes('after the repairs'), 3_000, 'a transcript after the repairs');
    check(s.stats().reconnects === 3, `media flows again after three repairs (reconnects ${s.stats().reconnects})`);

    // The server ends the stream.
    stream.terminate(StopReason.MEETING_ENDED);
    const end = await s.closed();
    check(end.state === 'stopped' && end.stopReasonName === 'MEETING_ENDED', `terminated by the server: ${end.state} ${end.stopReasonName ?? ''}`);
    check(stream.errors.length === 0, `no protocol error recorded${stream.errors.length ? `: ${stream.errors.map((v) => v.message).join('; ')}` : ''}`);

    check(
      published.includes('state:connecting') && published.includes('state:streaming') && published.includes('state:reconnecting') && published.includes('webhook:accepted'),
      `diagnostics channels: ${published.length} messages (${[...new Set(published)].join(', ')})`,
    );

    // A frame over maxPayloadBytes (a second client with a 64 KiB cap).
    const capped = new RtmsClient({ ...credentials, maxPayloadBytes: 64 * 1024, reconnect: { baseDelayMs: 50, maxDelayMs: 100, jitter: 0, maxAttempts: 5 } });
    try {
      const lengths: number[] = [];
      const cappedOutages: string[] = [];
      let cappedSession: RtmsSession | undefined;
      capped.on('session', (c) => {
        cappedSession = c;
        c.on('transcript', (t) => lengths.push(t.text.length));
        c.on('reconnecting', (info) => cappedOutages.push(info.cause.code));
      });
      const big = sim.createStream({ product: 'meeting' });
      await capped.handleWebhook(big.webhook('started'));
      await big.ready();
      big.sendTranscript({ userId: 1, userName: 'Ada', text: 'x'.repeat(200 * 1024) });
      await until(() => big.record.closes.some((c) => c.code === 1009) && big.isReady && cappedSession?.state === 'streaming', 5_000, 'the oversized frame to be refused and the socket reconnected');
      big.sendTranscript({ userId: 1, userName: 'Ada', text: 'small again' });
      await until(() => lengths.includes('small again'.length), 3_000, 'a transcript after the oversized frame');
      const close = big.record.closes.find((c) => c.code === 1009);
      check(
        !lengths.includes(200 * 1024) && close?.channel === 'media' && close.by === 'client' && cappedOutages.length === 1,
        `a 200 KiB frame over maxPayloadBytes (64 KiB) never delivered: the client closed the media socket with 1009 and reconnected`,
      );
      big.terminate(StopReason.MEETING_ENDED);
      await cappedSession?.closed();
    } finally {
      await capped.close();
    }

    // The event WebSocket: token over fetch, events over the socket.
    session = undefined;
    const events = client.connectEvents({ url: sim.eventSocketUrl, tokenUrl: sim.tokenUrl });
    await until(() => events.state === 'connected', 5_000, 'the event socket');
    const second = sim.createStream({ product: 'meeting' });
    second.deliverEvent('started');
    await second.ready();
    second.sendTranscript({ userId: 3, userName: 'Grace', text: 'over the event socket' });
    await until(() => texts.includes('over the event socket'), 3_000, 'a transcript of the event-socket stream');
    check(sim.eventRecord.tokenRequests.length >= 1, `event socket: OAuth token fetched (${sim.eventRecord.tokenRequests.length}), rtms_started delivered, media flowing`);
    const eventSession = session as RtmsSession | undefined;
    second.deliverEvent('stopped');
    const secondEnd = eventSession === undefined ? undefined : await eventSession.closed();
    check(secondEnd?.state === 'stopped', `rtms_stopped over the event socket stopped it: ${secondEnd?.state ?? 'no session'}`);
    await events.close();
    check(events.state === 'closed', `event stream closed: ${events.state}`);
    // Repaired outages are `reconnecting`/`reconnected` events, not errors.
    check(errors.length === 0, `no session error${errors.length ? `: ${errors.join(', ')}` : ''}`);
  } finally {
    await client.close();
    await sim.close();
    diagnosticsChannel.unsubscribe(DIAGNOSTICS_CHANNELS.sessionState, onState);
    diagnosticsChannel.unsubscribe(DIAGNOSTICS_CHANNELS.webhook, onWebhook);
  }
  console.log(`resilience under ${runtime}: ${failures.length === 0 ? 'passed' : `${failures.length} check(s) failed`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

run(main);
