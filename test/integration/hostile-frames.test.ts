/**
 * Arbitrary frames through the real sockets and the public API: nothing throws, nothing hangs, and a good frame
 * after the garbage still arrives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RtmsError } from '../../src/index.js';
import { rig, until } from '../helpers.js';

const frame = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.json({ maxDepth: 3 }),
  fc.uint8Array({ maxLength: 64 }),
  fc.record({
    msg_type: fc.oneof(fc.integer({ min: -5, max: 40 }), fc.string(), fc.double()),
    content: fc.oneof(fc.constant(undefined), fc.string(), fc.dictionary(fc.constantFrom('data', 'user_id', 'user_name', 'timestamp', 'channel_id', 'language'), fc.jsonValue())),
    event: fc.oneof(fc.constant(undefined), fc.dictionary(fc.constantFrom('event_type', 'user_id', 'participants'), fc.jsonValue())),
    state: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 2 }), fc.string()),
    timestamp: fc.oneof(fc.integer(), fc.string()),
  }).map((o) => JSON.stringify(o)),
);

describe('hostile frames', () => {
  it('arbitrary frames on signaling and media never crash the session; a good frame afterwards arrives', async () => {
    const r = await rig({ reconnect: false });
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const session = res.session!;
    const errors: RtmsError[] = [];
    const texts: string[] = [];
    session.on('error', (e) => errors.push(e));
    session.on('transcript', (t) => texts.push(t.text));
    session.on('audio', () => undefined);
    session.on('chat', () => undefined);
    session.on('video', () => undefined);
    session.on('event', () => undefined);
    await stream.ready();
    await until(() => session.state === 'streaming');
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), fc.constantFrom('signaling', 'media'), async (frames, channel) => {
        // Frames that legitimately end or re-route the stream are not garbage: skip them.
        // (msg_type may arrive as a number or a numeric string: both are read.)
        const benign = frames.filter((f) => typeof f !== 'string' || !/"msg_type":\s*"?\s*(8|6|2|4)\b/.test(f));
        for (const f of benign) stream.sendRaw(channel as 'signaling' | 'media', f);
        const marker = `good-${round++}`;
        stream.sendTranscript({ text: marker });
        await until(() => texts.includes(marker), 3_000, marker);
        expect(session.state).toBe('streaming');
      }),
      { numRuns: 60 },
    );
    // Unusable text frames are RTMS_FRAME_INVALID; binary frames that are not UTF-8 JSON RTMS_FRAME_UNSUPPORTED.
    expect(errors.every((e) => e.code === 'RTMS_FRAME_INVALID' || e.code === 'RTMS_FRAME_UNSUPPORTED')).toBe(true);
    await session.stop();
  });

  it('a frame larger than maxPayloadBytes closes that socket (1009) and the session reconnects', async () => {
    const r = await rig({ maxPayloadBytes: 4096, reconnect: { baseDelayMs: 10, jitter: 0 } });
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const session = res.session!;
    await stream.ready();
    await until(() => session.state === 'streaming');
    const cause = new Promise<RtmsError>((resolve) => session.once('reconnecting', (i) => resolve(i.cause)));
    stream.sendRaw('media', JSON.stringify({ msg_type: 17, content: { data: 'x'.repeat(10_000) } }));
    const err = await cause;
    expect(err.code).toBe('RTMS_CONNECTION_LOST');
    expect(err.message).toMatch(/max payload/i);
    expect((err.cause as { code?: string }).code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    await new Promise((resolve) => session.once('reconnected', resolve));
    const got = new Promise<string>((resolve) => session.once('transcript', (t) => resolve(t.text)));
    await stream.ready();
    stream.sendTranscript({ text: 'small again' });
    expect(await got).toBe('small again');
  });
});
