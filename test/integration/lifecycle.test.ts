import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RtmsError, StatusCode, StopReason, generateSignature, type RtmsSession, type SessionState } from '../../src/index.js';
import { CREDS, recordingLogger, rig, until } from '../helpers.js';

async function startSession(r: Awaited<ReturnType<typeof rig>>, product: 'meeting' | 'contact_center' | 'webinar' | 'session' = 'meeting') {
  const stream = r.sim.createStream({ product });
  const res = await r.client.handleWebhook(stream.webhook('started'));
  expect(res.status).toBe(200);
  return { stream, session: res.session! };
}

describe('ending a session', () => {
  it('stop() sends STREAM_CLOSE_REQ, closes both sockets with 1000 and ends stopped', async () => {
    const r = await rig();
    const { stream, session } = await startSession(r);
    await stream.ready();
    const states: SessionState[] = [];
    session.on('state', (s) => states.push(s));
    const end = await session.stop();
    expect(end).toMatchObject({ state: 'stopped', cause: 'stop_called', error: undefined });
    expect(states).toEqual(['stopping', 'stopped']);
    expect(stream.record.otherMessages[21]).toBe(1); // STREAM_CLOSE_REQ
    await stream.socketsClosed();
    expect(stream.record.closes.length).toBe(2);
    expect(await session.stop()).toBe(end); // idempotent
  });

  it('stop({ closeStream: false }) closes the sockets without asking the server to end the stream', async () => {
    const r = await rig();
    const { stream, session } = await startSession(r);
    await stream.ready();
    await session.stop({ closeStream: false });
    await stream.socketsClosed();
    expect(stream.record.otherMessages[21]).toBeUndefined();
    expect(stream.record.closes.every((c) => c.by === 'client' && c.code === 1000)).toBe(true);
  });

  it('a STREAM_STATE_UPDATE TERMINATED from the server ends the session stopped with the reason', async () => {
    const r = await rig();
    const { stream, session } = await startSession(r);
    await stream.ready();
    const updates: number[] = [];
    session.on('streamState', (u) => updates.push(u.state));
    stream.terminate(StopReason.HOST_TRIGGERED);
    const end = await session.closed();
    expect(end).toMatchObject({ state: 'stopped', cause: 'stream_terminated', stopReason: 1, stopReasonName: 'HOST_TRIGGERED' });
    expect(updates).toEqual([4]);
    expect(r.client.sessions.has(stream.streamId)).toBe(false);
  });

  it('a refused signaling handshake ends failed with the status code, named', async () => {
    const r = await rig();
    const stream = r.sim.createStream();
    stream.refuseNextHandshake('signaling', StatusCode.STATUS_INVALID_RTMS_STREAM_ID, 'no such stream');
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const errors: RtmsError[] = [];
    res.session!.on('error', (e) => errors.push(e));
    const end = await res.session!.closed();
    expect(end.state).toBe('failed');
    expect(end.cause).toBe('error');
    expect(end.error).toBeInstanceOf(RtmsError);
    expect(end.error).toMatchObject({ code: 'RTMS_HANDSHAKE_REJECTED', statusCode: 2, statusName: 'STATUS_INVALID_RTMS_STREAM_ID', reason: 'no such stream', channel: 'signaling' });
    expect(errors.map((e) => e.code)).toEqual(['RTMS_HANDSHAKE_REJECTED']);
    expect(res.session!.state).toBe('failed');
  });

  it('a refused media handshake ends failed and closes the signaling socket too', async () => {
    const r = await rig();
    const stream = r.sim.createStream();
    stream.refuseNextHandshake('media', StatusCode.STATUS_INVALID_MEDIA_AUDIO_PARAMS);
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const end = await res.session!.closed();
    expect(end.error).toMatchObject({ code: 'RTMS_HANDSHAKE_REJECTED', statusCode: 18, statusName: 'STATUS_INVALID_MEDIA_AUDIO_PARAMS', channel: 'media' });
    await stream.socketsClosed();
  });

  it('an unknown status code is reported by number, never a crash', async () => {
    const r = await rig();
    const stream = r.sim.createStream();
    stream.refuseNextHandshake('signaling', 999, 'future code');
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const end = await res.session!.closed();
    expect(end.error).toMatchObject({ statusCode: 999, statusName: 'UNKNOWN_STATUS_999', reason: 'future code' });
  });

  it('a wrong client secret is refused by the server as STATUS_INVALID_SIGNATURE', async () => {
    const r = await rig({ clientSecret: 'not-the-secret' });
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const end = await res.session!.closed();
    expect(end.error).toMatchObject({ code: 'RTMS_HANDSHAKE_REJECTED', statusCode: StatusCode.STATUS_INVALID_SIGNATURE });
    expect(stream.errors.map((v) => v.rule)).toContain('signature');
  });

  it('with reconnect off, a dropped socket ends the session failed with RTMS_CONNECTION_LOST', async () => {
    const r = await rig({ reconnect: false });
    const { stream, session } = await startSession(r);
    await stream.ready();
    stream.dropSocket('media');
    const end = await session.closed();
    expect(end.state).toBe('failed');
    expect(end.error?.code).toBe('RTMS_CONNECTION_LOST');
    expect(end.error?.channel).toBe('media');
    await stream.socketsClosed();
  });

  it('a server URL outside the allow-list fails the session before any socket opens', async () => {
    const r = await rig();
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started', { serverUrls: 'wss://rtms.attacker.example/signaling' }));
    expect(res.status).toBe(200);
    const end = await res.session!.closed();
    expect(end.error?.code).toBe('RTMS_URL_REJECTED');
    expect(r.sim.openSockets).toBe(0);
    expect(stream.record.handshakes).toEqual([]);
  });

  it('plain ws:// to a non-loopback host is refused by default', async () => {
    const r = await rig();
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started', { serverUrls: 'ws://rtms.zoom.us/signaling' }));
    const end = await res.session!.closed();
    expect(end.error?.code).toBe('RTMS_URL_REJECTED');
    expect(end.error?.message).toMatch(/ws:\/\//);
  });
});

describe('keep-alive', () => {
  it('answers keep-alives on both channels with the request timestamp', async () => {
    const r = await rig({}, { keepAliveIntervalMs: 30 });
    const { stream } = await startSession(r);
    await stream.ready();
    const answered = { signaling: 0, media: 0 };
    stream.on('clientMessage', (channel, msg) => {
      if (msg['msg_type'] === 13) answered[channel]++;
    });
    await until(() => answered.signaling >= 3 && answered.media >= 3, 5_000, 'keep-alive answers');
    expect(stream.record.keepAlive.wrongTimestamp).toBe(0);
    expect(stream.record.keepAlive.missedDrops).toBe(0);
    expect(stream.errors).toEqual([]);
  });

  it('the idle watchdog fails a session whose server goes silent', async () => {
    const r = await rig({ idleTimeoutMs: 150, reconnect: false }, { keepAliveIntervalMs: 0 });
    const { stream, session } = await startSession(r);
    await stream.ready();
    const end = await session.closed();
    expect(end.error?.code).toBe('RTMS_IDLE_TIMEOUT');
  });
});

describe('bad frames', () => {
  it('garbage on the media socket is reported and the stream carries on', async () => {
    const r = await rig();
    const { stream, session } = await startSession(r);
    await stream.ready();
    await until(() => session.state === 'streaming');
    const errors: RtmsError[] = [];
    const texts: string[] = [];
    session.on('error', (e) => errors.push(e));
    session.on('transcript', (t) => texts.push(t.text));
    session.on('audio', () => undefined);
    stream.sendRaw('media', 'not json');
    stream.sendRaw('media', '[1,2,3]');
    stream.sendRaw('media', JSON.stringify({ msg_type: 14, content: { data: 42 } }));
    stream.sendRaw('media', JSON.stringify({ msg_type: 14, content: { data: '!!!not base64!!!', user_id: 0 } }));
    stream.sendRaw('media', JSON.stringify({ msg_type: 9999 }));
    stream.sendRaw('media', Buffer.from([1, 2, 3]));
    stream.sendTranscript({ userId: 1, userName: 'A', text: 'still here' });
    await until(() => texts.length === 1);
    expect(texts).toEqual(['still here']);
    // Four frames without a usable payload (the 9999 is skipped as unknown), and bytes that are not JSON.
    expect(errors.map((e) => e.code)).toEqual([...Array(4).fill('RTMS_FRAME_INVALID'), 'RTMS_FRAME_UNSUPPORTED']);
    expect(session.state).toBe('streaming');
  });

  it('with no error listener, bad frames never throw', async () => {
    const r = await rig();
    const { stream, session } = await startSession(r);
    await stream.ready();
    stream.sendRaw('media', '{');
    stream.sendRaw('signaling', '{"msg_type":"x"}');
    const got = new Promise<{ text: string }>((resolve) => session.once('transcript', resolve));
    stream.sendTranscript({ text: 'ok' });
    expect((await got).text).toBe('ok');
  });

  it('a throwing listener is reported as RTMS_LISTENER_ERROR and streaming continues', async () => {
    const r = await rig();
    const { stream, session } = await startSession(r);
    await stream.ready();
    const errors: RtmsError[] = [];
    session.on('error', (e) => errors.push(e));
    let n = 0;
    session.on('transcript', () => {
      n++;
      throw new Error('user bug');
    });
    stream.sendTranscript({ text: 'one' });
    stream.sendTranscript({ text: 'two' });
    await until(() => n === 2);
    expect(errors.map((e) => e.code)).toEqual(['RTMS_LISTENER_ERROR', 'RTMS_LISTENER_ERROR']);
    expect(errors[0]!.cause).toBeInstanceOf(Error);
    expect(session.state).toBe('streaming');
  });
});

describe('duplicates and concurrency', () => {
  it('a repeated rtms_started returns the same session and opens one connection', async () => {
    const r = await rig();
    const stream = r.sim.createStream();
    const sessions: RtmsSession[] = [];
    r.client.on('session', (s) => sessions.push(s));
    const a = await r.client.handleWebhook(stream.webhook('started'));
    const b = await r.client.handleWebhook(stream.webhook('started'));
    expect(b.status).toBe(200);
    expect(b.session).toBe(a.session);
    expect(sessions.length).toBe(1);
    await stream.ready();
    const c = await r.client.handleWebhook(stream.webhook('started'));
    expect(c.session).toBe(a.session);
    expect(stream.record.signalingConnections).toBe(1);
    expect(stream.errors).toEqual([]);
  });

  it('200 simultaneous meetings on one client all deliver exactly', async () => {
    const r = await rig();
    const N = 200;
    const streams = Array.from({ length: N }, () => r.sim.createStream());
    const got = new Map<string, string[]>();
    r.client.on('session', (s) => {
      const list: string[] = [];
      got.set(s.id, list);
      s.on('transcript', (t) => list.push(t.text));
    });
    await Promise.all(streams.map((s) => r.client.handleWebhook(s.webhook('started'))));
    await Promise.all(streams.map((s) => s.ready(15_000)));
    for (let i = 0; i < 5; i++) for (const s of streams) s.sendTranscript({ text: `${s.streamId}:${i}` });
    await until(() => [...got.values()].every((l) => l.length === 5), 15_000, 'all transcripts');
    for (const s of streams) expect(got.get(s.streamId)).toEqual([0, 1, 2, 3, 4].map((i) => `${s.streamId}:${i}`));
    expect(r.client.sessions.size).toBe(N);
    await r.client.close();
    expect(r.client.sessions.size).toBe(0);
  });
});

describe('products', () => {
  it('Contact Center: engagement_id handshake, per-channel audio and transcripts', async () => {
    const r = await rig();
    const { stream, session } = await startSession(r, 'contact_center');
    expect(session.engagementId).toBe(stream.productId);
    expect(session.meetingUuid).toBeUndefined();
    await stream.ready();
    const hs = stream.record.handshakes.map((h) => h.message);
    for (const m of hs) {
      expect(m['engagement_id']).toBe(stream.productId);
      expect(m['meeting_uuid']).toBeUndefined();
    }
    const audio: { channelId: string | undefined; bytes: number }[] = [];
    const texts: { channelId: string | undefined; text: string }[] = [];
    session.on('audio', (a) => audio.push({ channelId: a.channelId, bytes: a.data.length }));
    session.on('transcript', (t) => texts.push({ channelId: t.channelId, text: t.text }));
    stream.sendAudio({ data: Buffer.alloc(640, 1), channelId: 'caller' });
    stream.sendAudio({ data: Buffer.alloc(640, 2), channelId: 'agent' });
    stream.sendTranscript({ text: 'I need help with my order', channelId: 'caller' });
    await until(() => audio.length === 2 && texts.length === 1);
    expect(audio).toEqual([{ channelId: 'caller', bytes: 640 }, { channelId: 'agent', bytes: 640 }]);
    expect(texts[0]).toEqual({ channelId: 'caller', text: 'I need help with my order' });
    await client_stop(r, stream);
  });

  it.each(['webinar', 'session'] as const)('%s: handshake carries the product key and meeting_uuid with the same value', async (product) => {
    const r = await rig();
    const { stream, session } = await startSession(r, product);
    await stream.ready();
    const key = product === 'webinar' ? 'webinar_uuid' : 'session_id';
    for (const h of stream.record.handshakes) {
      expect(h.message[key]).toBe(stream.productId);
      expect(h.message['meeting_uuid']).toBe(stream.productId);
    }
    expect(product === 'webinar' ? session.webinarUuid : session.sessionId).toBe(stream.productId);
    expect(stream.errors).toEqual([]);
  });

  it("per-kind media sockets: one socket per media kind, one ready ack each", async () => {
    const r = await rig({ mediaSockets: 'per-kind' });
    const { stream, session } = await startSession(r);
    await until(() => session.state === 'streaming');
    expect(stream.record.mediaConnections).toBe(2);
    expect(stream.record.readyAcks).toBe(2);
    const texts: string[] = [];
    const audio: number[] = [];
    session.on('transcript', (t) => texts.push(t.text));
    session.on('audio', (a) => audio.push(a.data.length));
    stream.sendTranscript({ text: 'split' });
    stream.sendAudio({ data: Buffer.alloc(320) });
    await until(() => texts.length === 1 && audio.length === 1);
  });
});

async function client_stop(r: Awaited<ReturnType<typeof rig>>, stream: { webhook: (s: 'stopped') => { headers: Record<string, string>; body: string } }) {
  const res = await r.client.handleWebhook(stream.webhook('stopped'));
  expect(res.status).toBe(200);
  await res.session!.closed();
}

describe('secrets', () => {
  it('never appear in logs, errors, events or inspect output', async () => {
    const logger = recordingLogger();
    const r = await rig({ logger });
    const seen: string[] = [];
    const { stream, session } = await startSession(r);
    const signature = generateSignature({ clientId: CREDS.clientId, clientSecret: CREDS.clientSecret, id: stream.productId, streamId: stream.streamId });
    session.on('error', (e) => seen.push(inspect(e), e.message, JSON.stringify(e)));
    session.on('state', (s) => seen.push(s));
    await stream.ready();
    stream.sendRaw('media', 'garbage');
    const bad = await r.client.handleWebhook({ headers: { 'x-zm-signature': 'v0=deadbeef', 'x-zm-request-timestamp': String(Math.floor(Date.now() / 1000)) }, body: '{}' });
    seen.push(bad.body);
    seen.push(inspect(r.client, { depth: 10 }), inspect(session, { depth: 10 }), JSON.stringify(r.client), JSON.stringify(session));
    await session.stop();
    const everything = [...logger.lines, ...seen].join('\n');
    expect(everything.length).toBeGreaterThan(100);
    expect(stream.record.handshakes.map((h) => h.message['signature'])).toEqual(['<redacted>', '<redacted>']);
    for (const secret of [CREDS.clientSecret, CREDS.webhookSecretToken, signature]) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/[0-9a-f]{64}/); // no HMAC signature in any form
  });
});
