/**
 * The SDK against a simulator whose JSON drifts, over real loopback sockets: every drift kind alone, then all of
 * them mixed, for a meeting and for a Contact Center engagement. Every transcript and every audio byte must
 * arrive intact, no `error` may fire, and the session must stop cleanly. A binary frame that is not JSON is
 * reported, and the frames after it still arrive.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EventType, type AudioFrame, type ContactCenterEvent, type RtmsError, type RtmsEventUpdate, type TranscriptEvent } from '../../src/index.js';
import { DRIFT_KINDS, SIM_EVENT_CODE_BASE, type DriftOptions } from '../../src/testing/index.js';
import { rig, until } from '../helpers.js';

type Product = 'meeting' | 'contact_center';

const RUNS: ReadonlyArray<readonly [string, DriftOptions]> = [
  ...DRIFT_KINDS.map((k) => [k, { kinds: [k], rate: 1 }] as const),
  ['every kind, mixed at random', { rate: 0.5, seed: 20261130 }],
];

const SPEAKERS = [
  { userId: 16778240, userName: 'Ada Lovelace', channelId: '1' },
  { userId: 16779264, userName: 'Grace Hopper', channelId: '2' },
] as const;

async function live(product: Product, drift: DriftOptions | false) {
  const { sim, client } = await rig({ media: ['audio', 'transcript'], mediaParams: { audio: { dataOption: 'multi' } }, events: { meeting: [2, 3, 4], contact_center: [8, 10] } }, { drift });
  const stream = sim.createStream({ product });
  const errors: RtmsError[] = [];
  const audio: AudioFrame[] = [];
  const transcripts: TranscriptEvent[] = [];
  const events: RtmsEventUpdate[] = [];
  const zcc: ContactCenterEvent[] = [];
  let firstPackets = 0;
  client.on('session', (s) => {
    s.on('error', (e) => errors.push(e));
    s.on('audio', (f) => audio.push(f));
    s.on('transcript', (t) => transcripts.push(t));
    s.on('event', (e) => events.push(e));
    s.on('contactCenterEvent', (e) => zcc.push(e));
    s.on('firstPacket', () => firstPackets++);
  });
  const res = await client.handleWebhook(stream.webhook('started'));
  expect(res.status).toBe(200);
  const session = res.session!;
  await stream.ready();
  await until(() => session.state === 'streaming');
  return {
    sim,
    client,
    stream,
    session,
    errors,
    audio,
    transcripts,
    events,
    zcc,
    get firstPackets() {
      return firstPackets;
    },
  };
}

/** Sends `n` audio packets and `n` transcripts, alternating speakers; returns what was sent. */
function sendTalk(stream: Awaited<ReturnType<typeof live>>['stream'], product: Product, n: number) {
  const base = 1_764_460_800_000;
  const sentAudio = new Map<string, Buffer[]>();
  const sentTranscripts: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) {
    const sp = SPEAKERS[i % 2]!;
    const data = randomBytes(640);
    const key = product === 'meeting' ? String(sp.userId) : sp.channelId;
    sentAudio.set(key, [...(sentAudio.get(key) ?? []), data]);
    expect(stream.sendAudio({ data, userId: sp.userId, userName: sp.userName, channelId: sp.channelId, timestamp: base + i * 20 })).toBe(true);
    const text = `line ${i}: naïve café, 漢字, emoji 🎤`;
    expect(stream.sendTranscript({ userId: sp.userId, userName: sp.userName, text, timestamp: base + i * 20, startTime: base + i * 20 - 1500, endTime: base + i * 20, language: 9, ...(product === 'contact_center' ? { channelId: sp.channelId } : {}) })).toBe(true);
    sentTranscripts.push({
      text,
      userId: sp.userId,
      userName: sp.userName,
      channelId: product === 'contact_center' ? sp.channelId : undefined,
      timestamp: base + i * 20,
      startTime: base + i * 20 - 1500,
      endTime: base + i * 20,
      language: 9,
    });
  }
  return { sentAudio, sentTranscripts };
}

describe.each<Product>(['meeting', 'contact_center'])('drift against a %s', (product) => {
  it.each(RUNS)('%s: every transcript and audio byte arrives intact, no error, clean stop', async (_label, drift) => {
    const r = await live(product, drift);
    const n = 40;
    if (product === 'meeting') {
      await until(() => r.stream.subscribedEvents.size === 3);
      r.stream.join(SPEAKERS.map((s) => ({ userId: s.userId, userName: s.userName })));
      r.stream.sendEvent({ event_type: EventType.ACTIVE_SPEAKER_CHANGE, user_id: SPEAKERS[1].userId, user_name: SPEAKERS[1].userName });
    } else {
      await until(() => r.stream.subscribedEvents.size === 2);
      r.stream.sendEvent({ event_type: 8, participant_info: { channel_id: '1', participant_mode: 'caller', display_name: 'Caller' } });
    }
    const { sentAudio, sentTranscripts } = sendTalk(r.stream, product, n);
    await until(() => r.audio.length === n && r.transcripts.length === n, 5_000, `${n} frames of each kind`);

    expect(r.errors).toEqual([]);
    expect(r.transcripts.map((t) => ({ text: t.text, userId: t.userId, userName: t.userName, channelId: t.channelId, timestamp: t.timestamp, startTime: t.startTime, endTime: t.endTime, language: t.language }))).toEqual(sentTranscripts);
    const got = new Map<string, Buffer[]>();
    for (const f of r.audio) {
      const key = product === 'meeting' ? String(f.userId) : String(f.channelId);
      got.set(key, [...(got.get(key) ?? []), f.data]);
      if (product === 'meeting') expect(typeof f.userId).toBe('number');
      else expect(typeof f.channelId).toBe('string');
    }
    for (const [key, chunks] of sentAudio) expect(Buffer.concat(got.get(key) ?? []).equals(Buffer.concat(chunks)), `audio of ${key}`).toBe(true);

    if (product === 'meeting') {
      await until(() => r.events.length >= 2);
      expect([...r.session.participants.keys()]).toEqual(SPEAKERS.map((s) => s.userId));
      if (drift.kinds?.includes('eventCode')) expect(r.events.map((e) => e.eventCode)).toEqual(r.events.map((e) => SIM_EVENT_CODE_BASE + e.eventType!));
    } else {
      // FIRST_PACKET_TIMESTAMP (always sent as media starts) is firstPacket for Contact Center too, not a ZCC event.
      await until(() => r.zcc.length === 1 && r.firstPackets === 1);
      expect(r.zcc[0]).toMatchObject({ eventType: 8, name: 'CONSUMER_ANSWERED', participant: { channelId: '1', participantMode: 'caller' } });
    }

    expect((await r.client.handleWebhook(r.stream.webhook('stopped'))).status).toBe(200);
    const end = await r.session.closed();
    expect(end).toMatchObject({ state: 'stopped', cause: 'webhook_stopped' });
    await r.stream.socketsClosed();
    expect(r.errors).toEqual([]);
  });

  it('a binary frame that is not JSON is reported as RTMS_FRAME_UNSUPPORTED, and the frames after it arrive', async () => {
    const r = await live(product, { kinds: ['binary'], rate: 1 });
    const protobufLike = Uint8Array.from([0x08, 0x11, 0x12, 0x06, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]);
    expect(r.stream.sendRaw('media', protobufLike)).toBe(true);
    expect(r.stream.sendRaw('signaling', protobufLike)).toBe(true);
    sendTalk(r.stream, product, 5);
    await until(() => r.transcripts.length === 5 && r.audio.length === 5 && r.errors.length === 2);
    expect(r.errors.map((e) => [e.code, e.channel, e.frame])).toEqual(
      expect.arrayContaining([
        ['RTMS_FRAME_UNSUPPORTED', 'media', { byteLength: 10, firstByte: 0x08 }],
        ['RTMS_FRAME_UNSUPPORTED', 'signaling', { byteLength: 10, firstByte: 0x08 }],
      ]),
    );
    expect(r.session.state).toBe('streaming');
    await r.session.stop();
    expect(r.session.end).toMatchObject({ state: 'stopped' });
  });
});

describe('drift: keep-alives', () => {
  it('drifted keep-alive requests (binary frames, extra fields) are answered with the timestamp echoed exactly', async () => {
    const { sim, client } = await rig({}, { drift: { kinds: ['binary', 'extraFields', 'nulls'], rate: 1 }, keepAliveIntervalMs: 30 });
    const stream = sim.createStream();
    const session = (await client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    await until(() => stream.record.keepAlive.answered >= 6, 5_000, 'six keep-alive answers');
    expect(stream.record.keepAlive.wrongTimestamp).toBe(0);
    expect(stream.errors).toEqual([]);
    expect(session.state).toBe('streaming');
  });
});
