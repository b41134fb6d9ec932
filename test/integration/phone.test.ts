/**
 * Zoom Phone, the fifth product (experimental: protocol reference §6.4, one Zoom sample): `phone.rtms_started`
 * (and the `phone.call_rtms_*` aliases) with `call_id`, signed and sent in both handshakes; transcripts and
 * channel-keyed audio; events with V2's `event_code` passed on uninterpreted; stop by webhook.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AudioFrame, RtmsError, RtmsEventUpdate, TranscriptEvent } from '../../src/index.js';
import { buildWebhook } from '../../src/testing/index.js';
import { CREDS, rig, until } from '../helpers.js';

describe('Zoom Phone', () => {
  it('webhook, then transcripts and channel-keyed audio, then stop', async () => {
    const { sim, client } = await rig({ media: ['audio', 'transcript'] });
    const stream = sim.createStream({ product: 'phone' });
    const started = stream.webhook('started');
    expect(JSON.parse(started.body)).toMatchObject({ event: 'phone.rtms_started', payload: { call_id: stream.productId, rtms_stream_id: stream.streamId } });
    const res = await client.handleWebhook(started);
    expect(res.status).toBe(200);
    const session = res.session!;
    expect(session.product).toBe('phone');
    expect(session.callId).toBe(stream.productId);
    expect([session.meetingUuid, session.engagementId]).toEqual([undefined, undefined]);
    const errors: RtmsError[] = [];
    const audio: AudioFrame[] = [];
    const transcripts: TranscriptEvent[] = [];
    const events: RtmsEventUpdate[] = [];
    session.on('error', (e) => errors.push(e));
    session.on('audio', (f) => audio.push(f));
    session.on('transcript', (t) => transcripts.push(t));
    session.on('event', (e) => events.push(e));
    await stream.ready();

    // Both handshakes carried call_id = the webhook's id, and only that id key; the simulator checked the signature.
    expect(stream.record.handshakes.map((h) => [h.channel, h.message['call_id'], 'meeting_uuid' in h.message, 'engagement_id' in h.message])).toEqual([
      ['signaling', stream.productId, false, false],
      ['media', stream.productId, false, false],
    ]);

    const caller = randomBytes(640);
    const callee = randomBytes(640);
    stream.sendAudio({ data: caller, channelId: '1' });
    stream.sendAudio({ data: callee, channelId: '2' });
    stream.sendTranscript({ text: 'Hello, this is Ada.', channelId: '1' });
    stream.sendTranscript({ text: 'Hi Ada, how can I help?', channelId: '2' });
    // Zoom Phone events: V2's event_code only (D-CL-NOV26); the SDK passes it on and names nothing.
    stream.sendEvent({ event_code: 4711 } as never, { force: true });
    await until(() => audio.length === 2 && transcripts.length === 2 && events.length === 2);

    expect(audio.map((f) => [f.channelId, f.userId, f.data.equals(f.channelId === '1' ? caller : callee)])).toEqual([
      ['1', undefined, true],
      ['2', undefined, true],
    ]);
    expect(transcripts.map((t) => [t.channelId, t.text])).toEqual([
      ['1', 'Hello, this is Ada.'],
      ['2', 'Hi Ada, how can I help?'],
    ]);
    // FIRST_PACKET_TIMESTAMP (always sent, as media starts) comes first, named for every product.
    expect(events[0]).toMatchObject({ eventType: 1, name: 'FIRST_PACKET_TIMESTAMP' });
    expect(events[1]).toMatchObject({ eventCode: 4711, eventType: undefined, name: undefined });
    expect(errors).toEqual([]);

    expect((await client.handleWebhook(stream.webhook('stopped'))).status).toBe(200);
    expect(await session.closed()).toMatchObject({ state: 'stopped', cause: 'webhook_stopped' });
    await stream.socketsClosed();
  });

  it('accepts the phone.call_rtms_* spelling of the same webhooks', async () => {
    const { sim, client } = await rig({ media: ['transcript'] });
    const stream = sim.createStream({ product: 'phone' });
    const payload = { call_id: stream.productId, rtms_stream_id: stream.streamId, server_urls: stream.serverUrls };
    const started = buildWebhook('phone.call_rtms_started', payload, { secretToken: CREDS.webhookSecretToken });
    const session = (await client.handleWebhook(started)).session!;
    expect(session.callId).toBe(stream.productId);
    await stream.ready();
    const stopped = buildWebhook('phone.call_rtms_stopped', { call_id: stream.productId, rtms_stream_id: stream.streamId, stop_reason: 6 }, { secretToken: CREDS.webhookSecretToken });
    expect((await client.handleWebhook(stopped)).status).toBe(200);
    expect(await session.closed()).toMatchObject({ state: 'stopped', stopReason: 6 });
  });

  it('a stop webhook that names only call_id (as the Phone sample sends it) stops the call', async () => {
    const { sim, client } = await rig({ media: ['transcript'] });
    const stream = sim.createStream({ product: 'phone' });
    const other = sim.createStream({ product: 'phone' });
    const session = (await client.handleWebhook(stream.webhook('started'))).session!;
    const bystander = (await client.handleWebhook(other.webhook('started'))).session!;
    await Promise.all([stream.ready(), other.ready()]);
    const stopped = buildWebhook('phone.rtms_stopped', { call_id: stream.productId, stop_reason: 6 }, { secretToken: CREDS.webhookSecretToken });
    const res = await client.handleWebhook(stopped);
    expect(res.status).toBe(200);
    expect(res.session).toBe(session);
    expect(await session.closed()).toMatchObject({ state: 'stopped', cause: 'webhook_stopped', stopReason: 6 });
    expect(bystander.state).toBe('streaming');
    const unknown = buildWebhook('phone.rtms_stopped', { call_id: 'no-such-call' }, { secretToken: CREDS.webhookSecretToken });
    expect(JSON.parse((await client.handleWebhook(unknown)).body)).toEqual({ status: 'unknown_stream' });
  });

  it('a phone.rtms_interrupted reconnects both sockets with the same call_id', async () => {
    const { sim, client } = await rig({ media: ['transcript'], reconnect: { baseDelayMs: 10, jitter: 0 } });
    const stream = sim.createStream({ product: 'phone' });
    const session = (await client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    stream.dropSocket('signaling');
    expect((await client.handleWebhook(stream.webhook('interrupted'))).status).toBe(200);
    await until(() => stream.record.signalingConnections === 2 && session.state === 'streaming');
    expect(stream.record.handshakes.filter((h) => h.channel === 'signaling').map((h) => h.message['call_id'])).toEqual([stream.productId, stream.productId]);
  });
});
