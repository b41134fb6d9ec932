/**
 * Counters without sockets: the frame router's per-kind tallies, the iterator's drop tally, and the sums the
 * client builds from them.
 */
import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/iterator.js';
import { safeLogger } from '../../src/logger.js';
import { MsgType } from '../../src/protocol/constants.js';
import type { InboundMessage } from '../../src/protocol/messages.js';
import { FrameRouter, type FrameHost } from '../../src/session-events.js';
import { CounterSum, MediaTally } from '../../src/stats.js';

const host = (listeners: Record<string, number> = {}): FrameHost & { errors: number } => {
  const h = {
    errors: 0,
    emit: (event: string) => {
      if (event === 'error') h.errors++;
    },
    listenerCount: (event: string) => listeners[event] ?? 0,
    interrupt: () => undefined,
    terminated: () => undefined,
    closeAnswered: () => undefined,
    answer: () => false,
  };
  return h as FrameHost & { errors: number };
};
const media = (msgType: number, data: string): InboundMessage => ({ msg_type: msgType, content: { data } }) as unknown as InboundMessage;
const SOURCE = { label: 'media', tag: undefined };

describe('FrameRouter tally', () => {
  it('counts frames and content.data length per kind, listened to or not', () => {
    const h = host();
    const r = new FrameRouter({ streamId: 's', product: 'meeting', logger: safeLogger(undefined) }, h);
    r.route(SOURCE, media(MsgType.MEDIA_DATA_AUDIO, 'AAAA'));
    r.route(SOURCE, media(MsgType.MEDIA_DATA_AUDIO, 'AAAAAAAA'));
    r.route(SOURCE, media(MsgType.MEDIA_DATA_VIDEO, 'AAAA'));
    r.route(SOURCE, media(MsgType.MEDIA_DATA_SHARE, 'AA=='));
    r.route(SOURCE, media(MsgType.MEDIA_DATA_TRANSCRIPT, 'hello'));
    r.route(SOURCE, media(MsgType.MEDIA_DATA_CHAT, 'hi'));
    expect(r.tally.snapshot()).toEqual({
      audio: { frames: 2, bytes: 12 },
      video: { frames: 1, bytes: 4 },
      share: { frames: 1, bytes: 4 },
      transcript: { frames: 1, bytes: 5 },
      chat: { frames: 1, bytes: 2 },
    });
    expect(r.tally.frames).toBe(6);
    expect(h.errors).toBe(0);
  });

  it('counts media whose base64 is invalid (only decoded media can be found invalid)', () => {
    const h = host({ audio: 1 });
    const r = new FrameRouter({ streamId: 's', product: 'meeting', logger: safeLogger(undefined) }, h);
    r.route(SOURCE, media(MsgType.MEDIA_DATA_AUDIO, '!!!not base64!!!'));
    expect(r.tally.invalidPayloads).toBe(1);
    expect(r.tally.audioFrames).toBe(1);
    expect(h.errors).toBe(1);
  });
});

describe('iterator drop tally', () => {
  it('adds every drop of every iterator to the shared tally', () => {
    const tally = { dropped: 0 };
    const pushes: Array<(n: number) => void> = [];
    const never = new Promise<void>(() => undefined);
    const a = new BoundedQueue<number>((push) => (pushes.push(push), () => undefined), never, { highWaterMark: 1 }, tally);
    const b = new BoundedQueue<number>((push) => (pushes.push(push), () => undefined), never, { highWaterMark: 2, overflow: 'drop-newest' }, tally);
    for (let i = 0; i < 4; i++) for (const p of pushes) p(i);
    expect(a.dropped).toBe(3);
    expect(b.dropped).toBe(2);
    expect(tally.dropped).toBe(5);
    void a.return();
    void b.return();
  });
});

describe('CounterSum', () => {
  it('adds snapshots kind by kind and freezes its copy', () => {
    const t = new MediaTally();
    t.audioFrames = 2;
    t.audioBytes = 10;
    t.chatFrames = 1;
    t.chatBytes = 3;
    const one = { media: t.snapshot(), framesReceived: 5, frameErrors: 1, keepAlivesAnswered: 2, reconnects: 1, downtimeMs: 40, iteratorDrops: 3 };
    const s = new CounterSum().add(one).add(one).snapshot();
    expect(s.media.audio).toEqual({ frames: 4, bytes: 20 });
    expect(s.media.chat).toEqual({ frames: 2, bytes: 6 });
    expect(s.media.video).toEqual({ frames: 0, bytes: 0 });
    expect(s).toMatchObject({ framesReceived: 10, frameErrors: 2, keepAlivesAnswered: 4, reconnects: 2, downtimeMs: 80, iteratorDrops: 6 });
    expect(Object.isFrozen(s.media)).toBe(true);
  });
});
