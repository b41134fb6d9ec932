/**
 * FrameRouter without sockets or a clock: decoded messages in, typed events and host calls out.
 */
import { EventEmitter } from 'eventemitter3';
import { describe, expect, it } from 'vitest';
import { RtmsError } from '../../src/errors.js';
import type { RtmsSessionEvents } from '../../src/events.js';
import { audioFormat, videoFormat } from '../../src/format.js';
import { safeLogger } from '../../src/logger.js';
import { EventType, MsgType, StopReason, StreamState, ZccEventType } from '../../src/protocol/constants.js';
import type { InboundMessage, WireMediaContent } from '../../src/protocol/messages.js';
import type { RtmsProduct } from '../../src/protocol/products.js';
import { FrameRouter, SHARE_DEFAULTS, VIDEO_DEFAULTS, type FrameHost, type FrameSource, type MediaFormats } from '../../src/session-events.js';

const STREAM_ID = 'stream-1';
const AUDIO_FMT = audioFormat({ sample_rate: 3, channel: 2 }, undefined);
const VIDEO_FMT = videoFormat({ fps: 24, resolution: 3 }, undefined, VIDEO_DEFAULTS);
const SHARE_FMT = videoFormat({ fps: 2 }, undefined, SHARE_DEFAULTS);
const FORMATS: MediaFormats = { audio: AUDIO_FMT, video: VIDEO_FMT, share: SHARE_FMT };
const MEDIA: FrameSource = { label: 'media[audio,video,share]', tag: FORMATS };
const SIGNALING: FrameSource = { label: 'signaling', tag: undefined };

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A hand-built host over a real emitter, recording every decision the router hands over. */
function setup(product: RtmsProduct = 'meeting') {
  const events = new EventEmitter<RtmsSessionEvents>();
  const interrupts: Array<['full' | 'media', string]> = [];
  const terminated: Array<number | undefined> = [];
  const answered: InboundMessage[] = [];
  const logs: string[] = [];
  const counts = { closeAnswered: 0, listenerCount: 0, emit: 0, takeAnswers: false };
  const host: FrameHost = {
    emit: (event, value) => {
      counts.emit++;
      (events.emit as (e: string, v: unknown) => boolean)(event, value);
    },
    listenerCount: (event) => {
      counts.listenerCount++;
      return events.listenerCount(event);
    },
    interrupt: (scope, why) => interrupts.push([scope, why]),
    terminated: (reason) => terminated.push(reason),
    closeAnswered: () => counts.closeAnswered++,
    answer: (msg) => {
      answered.push(msg);
      return counts.takeAnswers;
    },
  };
  const rec = (level: string) => (message: string) => logs.push(`${level} ${message}`);
  const logger = safeLogger({ debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') });
  const router = new FrameRouter({ streamId: STREAM_ID, product, logger }, host);
  /** Collects every value of one event. */
  function collect<K extends keyof RtmsSessionEvents>(event: K): Array<RtmsSessionEvents[K][0]> {
    const out: Array<RtmsSessionEvents[K][0]> = [];
    (events.on as (e: K, fn: (v: RtmsSessionEvents[K][0]) => void) => void)(event, (v) => out.push(v));
    return out;
  }
  return { router, events, host, interrupts, terminated, answered, logs, counts, collect };
}

function media(msgType: 14 | 15 | 16 | 17 | 18, content: WireMediaContent): InboundMessage {
  return { msg_type: msgType, content } as InboundMessage;
}

function event(body: Record<string, unknown> & { event_type: number }): InboundMessage {
  return { msg_type: MsgType.EVENT_UPDATE, event: body } as InboundMessage;
}

function streamState(state: number, reason?: number): InboundMessage {
  return { msg_type: MsgType.STREAM_STATE_UPDATE, state, reason, timestamp: 5 } as InboundMessage;
}

/** An event without its `content` (checked on its own in the test below). */
function bare<T extends object>(e: T | undefined): Omit<T, 'content'> | undefined {
  if (e === undefined) return undefined;
  const { content: _content, ...rest } = e as T & { content?: unknown };
  return rest;
}

describe('FrameRouter: media frames', () => {
  it("every media event carries the frame's content object, unknown fields included", () => {
    const { router, collect } = setup();
    const audio = collect('audio');
    const raw = collect('rawMedia');
    const transcripts = collect('transcript');
    const chat = collect('chat');
    const video = collect('video');
    const contents = [
      { data: b64('a'), user_id: 1, x_future: { srt: true } },
      { data: 'words', user_id: 1, x_future: 'kept' },
      { data: 'hi', x_future: 1 },
      { data: b64('v'), x_future: [1] },
    ];
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, contents[0]!));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_TRANSCRIPT, contents[1]!));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_CHAT, contents[2]!));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_VIDEO, contents[3]!));
    expect([audio[0]?.content, transcripts[0]?.content, chat[0]?.content, video[0]?.content]).toEqual(contents);
    expect(raw.map((r) => r.content)).toEqual([contents[0], contents[3]]);
  });


  it('audio: decoded bytes with the user, channel, timestamp and the socket format', () => {
    const { router, collect } = setup();
    const frames = collect('audio');
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: b64('pcm!'), user_id: 16778240, user_name: 'Ann', timestamp: 1_700_000_000_000 }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: b64('cc'), channel_id: 'ch-2' }));
    expect(frames).toHaveLength(2);
    expect(bare(frames[0])).toEqual({ data: Buffer.from('pcm!'), userId: 16778240, userName: 'Ann', channelId: undefined, timestamp: 1_700_000_000_000, format: AUDIO_FMT });
    expect(frames[0]?.format).toBe(AUDIO_FMT);
    expect(frames[1]).toMatchObject({ channelId: 'ch-2', userId: undefined, userName: undefined, timestamp: undefined });
  });

  it('audio on a socket without a settled format gets the default format (16 kHz mono L16)', () => {
    const { router, collect } = setup();
    const frames = collect('audio');
    router.route({ label: 'media[audio]', tag: undefined }, media(MsgType.MEDIA_DATA_AUDIO, { data: b64('x') }));
    expect(frames[0]?.format).toEqual(audioFormat(undefined, undefined));
    expect(frames[0]?.format).toMatchObject({ codec: 'L16', sampleRate: 16000, channels: 1 });
  });

  it('with nobody listening, a media frame reads each listener count once and emits nothing', () => {
    const { router, counts } = setup();
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: '!!not base64!!' }));
    expect(counts).toMatchObject({ listenerCount: 2, emit: 0 });
    router.route(MEDIA, media(MsgType.MEDIA_DATA_VIDEO, { data: b64('v') }));
    expect(counts).toMatchObject({ listenerCount: 4, emit: 0 });
    router.route(MEDIA, media(MsgType.MEDIA_DATA_TRANSCRIPT, { data: 'hi' }));
    expect(counts).toMatchObject({ listenerCount: 5, emit: 0 });
  });

  it('rawMedia carries the base64 text as received, beside or without the decoded event', () => {
    const { router, collect } = setup();
    const raw = collect('rawMedia');
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: b64('a1'), user_id: 7, channel_id: 'c', timestamp: 3 }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_SHARE, { data: b64('s1'), user_id: 8, user_name: 'Bo' }));
    expect(raw.map(bare)).toEqual([
      { kind: 'audio', base64: b64('a1'), userId: 7, userName: undefined, channelId: 'c', timestamp: 3, format: AUDIO_FMT },
      { kind: 'share', base64: b64('s1'), userId: 8, userName: 'Bo', timestamp: undefined, format: SHARE_FMT },
    ]);
    const audio = collect('audio');
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: b64('a2') }));
    expect(audio.map((f) => f.data.toString())).toEqual(['a2']);
    expect(raw).toHaveLength(3);
  });

  it('video and share: decoded bytes with their own formats, defaults when the socket has none', () => {
    const { router, collect } = setup();
    const video = collect('video');
    const share = collect('share');
    router.route(MEDIA, media(MsgType.MEDIA_DATA_VIDEO, { data: b64('jpeg'), user_id: 1, user_name: 'Cy', timestamp: 9 }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_SHARE, { data: b64('png') }));
    expect(video.map(bare)).toEqual([{ data: Buffer.from('jpeg'), userId: 1, userName: 'Cy', timestamp: 9, format: VIDEO_FMT }]);
    expect(share.map(bare)).toEqual([{ data: Buffer.from('png'), userId: undefined, userName: undefined, timestamp: undefined, format: SHARE_FMT }]);
    const untagged: FrameSource = { label: 'media[video]', tag: undefined };
    router.route(untagged, media(MsgType.MEDIA_DATA_VIDEO, { data: b64('v') }));
    router.route(untagged, media(MsgType.MEDIA_DATA_SHARE, { data: b64('s') }));
    expect(video[1]?.format).toEqual({ codec: 'JPG', resolution: 'HD', fps: 5 });
    expect(share[1]?.format).toEqual({ codec: 'JPG', resolution: 'FHD', fps: 1 });
  });

  it('transcript: text and every field', () => {
    const { router, collect } = setup();
    const out = collect('transcript');
    router.route(MEDIA, media(MsgType.MEDIA_DATA_TRANSCRIPT, { data: 'hello there', user_id: 5, user_name: 'Di', timestamp: 10, start_time: 1, end_time: 2, language: 9, attribute: 1 }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_TRANSCRIPT, { data: 'agent side', channel_id: 'agent-ch' }));
    expect(out.map(bare)).toEqual([
      { text: 'hello there', userId: 5, userName: 'Di', channelId: undefined, timestamp: 10, startTime: 1, endTime: 2, language: 9, attribute: 1 },
      { text: 'agent side', userId: undefined, userName: undefined, channelId: 'agent-ch', timestamp: undefined, startTime: undefined, endTime: undefined, language: undefined, attribute: undefined },
    ]);
  });

  it('chat: plain text as is; a JSON message gives its text, sender and payload', () => {
    const { router, collect } = setup();
    const out = collect('chat');
    router.route(MEDIA, media(MsgType.MEDIA_DATA_CHAT, { data: 'plain hi', user_id: 3, user_name: 'Ed', timestamp: 4 }));
    const json = JSON.stringify({ sender: { user_id: 42, user_name: 'Flo' }, message: 'structured hi', receiver: 'everyone' });
    router.route(MEDIA, media(MsgType.MEDIA_DATA_CHAT, { data: json, user_id: 3, user_name: 'Ed' }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_CHAT, { data: '{not json', user_id: 3 }));
    expect(bare(out[0])).toEqual({ text: 'plain hi', timestamp: 4, userId: 3, userName: 'Ed', payload: undefined, raw: 'plain hi' });
    expect(bare(out[1])).toEqual({
      text: 'structured hi',
      timestamp: undefined,
      userId: 42,
      userName: 'Flo',
      payload: { sender: { user_id: 42, user_name: 'Flo' }, message: 'structured hi', receiver: 'everyone' },
      raw: json,
    });
    expect(out[2]).toMatchObject({ text: '{not json', payload: undefined, userId: 3 });
    // The sender id in the JSON payload is read like every participant id: "42" is 42.
    router.route(MEDIA, media(MsgType.MEDIA_DATA_CHAT, { data: JSON.stringify({ sender: { user_id: '42' }, text: 'x' }) }));
    expect(out[3]?.userId).toBe(42);
  });

  it('chat: the text key is chosen in the order text, content, message, msg', () => {
    const { router, collect } = setup();
    const out = collect('chat');
    router.route(MEDIA, media(MsgType.MEDIA_DATA_CHAT, { data: JSON.stringify({ msg: 'd', message: 'c', content: 'b' }) }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_CHAT, { data: JSON.stringify({ msg: 'd', text: 'a', content: 7 }) }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_CHAT, { data: JSON.stringify({ other: 1 }) }));
    expect(out.map((c) => c.text)).toEqual(['b', 'a', JSON.stringify({ other: 1 })]);
  });

  it('invalid base64 is reported as RTMS_FRAME_INVALID and the next frame is delivered', () => {
    const { router, collect } = setup();
    const audio = collect('audio');
    const video = collect('video');
    const errors = collect('error');
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: 'a*b!c' }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: b64('good') }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_VIDEO, { data: '@@@@' }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_VIDEO, { data: b64('frame') }));
    expect(errors.map((e) => [e.code, e.message, e.channel, e.streamId])).toEqual([
      ['RTMS_FRAME_INVALID', 'audio frame: content.data is not valid base64', 'media', STREAM_ID],
      ['RTMS_FRAME_INVALID', 'video frame: content.data is not valid base64', 'media', STREAM_ID],
    ]);
    expect(audio.map((f) => f.data.toString())).toEqual(['good']);
    expect(video.map((f) => f.data.toString())).toEqual(['frame']);
  });
});

describe('FrameRouter: listener isolation', () => {
  it('a throwing listener is reported as RTMS_LISTENER_ERROR and the next frame is delivered', () => {
    const { router, events, collect, logs } = setup();
    const errors = collect('error');
    const seen: string[] = [];
    let calls = 0;
    events.on('audio', (f) => {
      calls++;
      if (calls === 1) throw new Error('boom in app code');
      seen.push(f.data.toString());
    });
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: b64('one') }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: b64('two') }));
    expect(seen).toEqual(['two']);
    expect(errors).toHaveLength(1);
    const err = errors[0];
    expect(err).toBeInstanceOf(RtmsError);
    expect(err?.code).toBe('RTMS_LISTENER_ERROR');
    expect(err?.streamId).toBe(STREAM_ID);
    expect(err?.message).toContain("a 'audio' listener threw");
    expect((err?.cause as Error).message).toBe('boom in app code');
    expect(logs.some((l) => l.startsWith("error [rtms] a 'audio' listener threw"))).toBe(true);
  });

  it('throwing transcript, event and participantJoin listeners do not stop the router or the roster', () => {
    const { router, events, collect } = setup();
    const errors = collect('error');
    events.on('transcript', () => {
      throw new Error('t');
    });
    events.on('participantJoin', () => {
      throw new Error('j');
    });
    router.route(MEDIA, media(MsgType.MEDIA_DATA_TRANSCRIPT, { data: 'x' }));
    router.route(SIGNALING, event({ event_type: EventType.PARTICIPANT_JOIN, participants: [{ user_id: 1, user_name: 'A' }] }));
    expect(errors.map((e) => e.message)).toEqual(["a 'transcript' listener threw: Error: t", "a 'participantJoin' listener threw: Error: j"]);
    expect(router.participants.get(1)).toEqual({ userId: 1, userName: 'A' });
  });

  it("a throwing 'error' listener is logged only: no loop, and routing goes on", () => {
    const { router, events, logs, collect } = setup();
    events.on('error', () => {
      throw new Error('error listener broke');
    });
    events.on('audio', () => {
      throw new Error('audio listener broke');
    });
    const raw = collect('rawMedia');
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: b64('x') }));
    router.route(MEDIA, media(MsgType.MEDIA_DATA_AUDIO, { data: 'bad!' }));
    expect(raw).toHaveLength(2);
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([
      "error [rtms] a 'audio' listener threw: Error: audio listener broke",
      "error [rtms] an 'error' listener threw: Error: error listener broke",
      "error [rtms] a 'error' listener threw: Error: error listener broke",
    ]);
  });
});

describe('FrameRouter: meeting events and the roster', () => {
  it('every EVENT_UPDATE is on `event` with its name from the meeting table', () => {
    const { router, collect } = setup('webinar');
    const out = collect('event');
    const body = { event_type: EventType.SHARING_START, user_id: 4, timestamp: 77 };
    router.route(SIGNALING, event(body));
    router.route(SIGNALING, event({ event_type: 99, event_ts: 78 }));
    expect(out).toEqual([
      { eventType: EventType.SHARING_START, name: 'SHARING_START', timestamp: 77, body },
      { eventType: 99, name: undefined, timestamp: 78, body: { event_type: 99, event_ts: 78 } },
    ]);
  });

  it('join adds to the roster, an active speaker names a nameless participant, leave takes the name and removes', () => {
    const { router, collect } = setup();
    const joins = collect('participantJoin');
    const speakers = collect('activeSpeaker');
    const leaves = collect('participantLeave');
    router.route(SIGNALING, event({ event_type: EventType.PARTICIPANT_JOIN, timestamp: 1, participants: [{ user_id: 1, user_name: 'Ann' }, { user_id: 2 }] }));
    expect(joins).toEqual([{ participants: [{ userId: 1, userName: 'Ann' }, { userId: 2, userName: undefined }], timestamp: 1 }]);
    expect([...router.participants.keys()]).toEqual([1, 2]);

    router.route(SIGNALING, event({ event_type: EventType.ACTIVE_SPEAKER_CHANGE, user_id: 2, user_name: 'Bob', timestamp: 2 }));
    router.route(SIGNALING, event({ event_type: EventType.ACTIVE_SPEAKER_CHANGE, user_id: 1, user_name: 'Renamed', timestamp: 3 }));
    router.route(SIGNALING, event({ event_type: EventType.ACTIVE_SPEAKER_CHANGE, user_id: 9, user_name: 'Stranger', timestamp: 4 }));
    expect(speakers).toEqual([
      { userId: 2, userName: 'Bob', timestamp: 2 },
      { userId: 1, userName: 'Renamed', timestamp: 3 },
      { userId: 9, userName: 'Stranger', timestamp: 4 },
    ]);
    // A nameless participant gets the speaker's name; a named one keeps its own; a speaker off the roster is not added.
    expect(router.participants.get(2)).toEqual({ userId: 2, userName: 'Bob' });
    expect(router.participants.get(1)).toEqual({ userId: 1, userName: 'Ann' });
    expect(router.participants.has(9)).toBe(false);

    router.route(SIGNALING, event({ event_type: EventType.PARTICIPANT_LEAVE, timestamp: 5, participants: [{ user_id: 2 }, { user_id: 1, user_name: 'Ann L.' }] }));
    expect(leaves).toEqual([{ participants: [{ userId: 2, userName: 'Bob' }, { userId: 1, userName: 'Ann L.' }], timestamp: 5 }]);
    expect(router.participants.size).toBe(0);
  });

  it('a top-level user_id counts as one participant (join and leave)', () => {
    const { router } = setup();
    router.route(SIGNALING, event({ event_type: EventType.PARTICIPANT_JOIN, user_id: 'u-1', user_name: 'Solo' }));
    expect(router.participants.get('u-1')).toEqual({ userId: 'u-1', userName: 'Solo' });
    router.route(SIGNALING, event({ event_type: EventType.PARTICIPANT_LEAVE, user_id: 'u-1' }));
    expect(router.participants.size).toBe(0);
  });

  it('first packet, sharing and participant video', () => {
    const { router, collect } = setup();
    const first = collect('firstPacket');
    const sharing = collect('sharing');
    const video = collect('participantVideo');
    router.route(SIGNALING, event({ event_type: EventType.FIRST_PACKET_TIMESTAMP, timestamp: 1234 }));
    router.route(SIGNALING, event({ event_type: EventType.SHARING_START, user_id: 3, user_name: 'Cy', timestamp: 5 }));
    router.route(SIGNALING, event({ event_type: EventType.SHARING_STOP, user_id: 3, user_name: 'Cy', timestamp: 6 }));
    router.route(SIGNALING, event({ event_type: EventType.PARTICIPANT_VIDEO_ON, participants: [{ user_id: 3 }, { user_id: 4 }], timestamp: 7 }));
    router.route(SIGNALING, event({ event_type: EventType.PARTICIPANT_VIDEO_OFF, user_id: 4, timestamp: 8 }));
    expect(first).toEqual([1234]);
    expect(sharing).toEqual([
      { active: true, userId: 3, userName: 'Cy', timestamp: 5 },
      { active: false, userId: undefined, userName: undefined, timestamp: 6 },
    ]);
    expect(video).toEqual([
      { on: true, userIds: [3, 4], timestamp: 7 },
      { on: false, userIds: [4], timestamp: 8 },
    ]);
  });

  it('event 7 (MEDIA_CONNECTION_INTERRUPTED) emits mediaInterrupted and asks the host for a media reconnect', () => {
    const { router, collect, interrupts } = setup();
    const out = collect('mediaInterrupted');
    router.route(SIGNALING, event({ event_type: EventType.MEDIA_CONNECTION_INTERRUPTED, timestamp: 99 }));
    expect(out).toEqual([99]);
    expect(interrupts).toEqual([['media', 'media connection interrupted (event 7)']]);
  });
});

describe('FrameRouter: Contact Center', () => {
  it.each(['meeting', 'contact_center', 'phone'] as const)('FIRST_PACKET_TIMESTAMP is firstPacket for %s, named, and never a Contact Center event', (product) => {
    const { router, collect } = setup(product);
    const all = collect('event');
    const first = collect('firstPacket');
    const zcc = collect('contactCenterEvent');
    router.route(SIGNALING, event({ event_type: 1, timestamp: 1_764_460_800_000 }));
    expect(first).toEqual([1_764_460_800_000]);
    expect(all.map((e) => e.name)).toEqual(['FIRST_PACKET_TIMESTAMP']);
    expect(zcc).toEqual([]);
  });

  it('events use the Contact Center table, come with contactCenterEvent and leave the roster alone', () => {
    const { router, collect, interrupts } = setup('contact_center');
    const all = collect('event');
    const zcc = collect('contactCenterEvent');
    const joins = collect('participantJoin');
    const info = { channel_id: 'ch-1', participant_mode: 'agent', user_id: 123, display_name: 'Agent A', phone_number: '+1', queue_id: 'q', queue_name: 'Sales' };
    router.route(SIGNALING, event({ event_type: ZccEventType.USER_ANSWERED, event_ts: 50, participant_info: info }));
    // ZCC-S misspells participant_info; and number 3/7 are not meeting events here.
    router.route(SIGNALING, event({ event_type: ZccEventType.USER_HOLD, paticipant_info: { channel_id: 'ch-2' } }));
    router.route(SIGNALING, event({ event_type: 3, participants: [{ user_id: 1 }] }));
    router.route(SIGNALING, event({ event_type: 7 }));
    expect(all.map((e) => [e.eventType, e.name, e.timestamp])).toEqual([
      [10, 'USER_ANSWERED', 50],
      [12, 'USER_HOLD', undefined],
      [3, undefined, undefined],
      [7, undefined, undefined],
    ]);
    expect(zcc[0]).toEqual({
      eventType: 10,
      name: 'USER_ANSWERED',
      timestamp: 50,
      participant: { channelId: 'ch-1', participantMode: 'agent', userId: '123', displayName: 'Agent A', phoneNumber: '+1', queueId: 'q', queueName: 'Sales' },
    });
    expect(zcc[1]?.participant?.channelId).toBe('ch-2');
    expect(zcc[2]?.participant).toBeUndefined();
    expect(joins).toEqual([]);
    expect(router.participants.size).toBe(0);
    expect(interrupts).toEqual([]);
  });
});

describe('FrameRouter: stream and session state', () => {
  it('TERMINATED and TERMINATING ask the host to end, with the reason', () => {
    const { router, collect, terminated } = setup();
    const out = collect('streamState');
    router.route(SIGNALING, streamState(StreamState.TERMINATED, StopReason.HOST_TRIGGERED));
    router.route(SIGNALING, streamState(StreamState.TERMINATING));
    expect(terminated).toEqual([StopReason.HOST_TRIGGERED, undefined]);
    expect(out[0]).toEqual({ state: 4, stateName: 'TERMINATED', reason: 1, reasonName: 'HOST_TRIGGERED', timestamp: 5 });
    expect(out[1]).toMatchObject({ state: 3, stateName: 'TERMINATING', reason: undefined, reasonName: undefined });
  });

  it('INTERRUPTED with reason 14 asks for a media reconnect, 13 for a full one, other reasons for none', () => {
    const { router, interrupts, terminated } = setup();
    router.route(SIGNALING, streamState(StreamState.INTERRUPTED, StopReason.DATA_CONNECTION_INTERRUPTED));
    router.route(SIGNALING, streamState(StreamState.INTERRUPTED, StopReason.SIGNAL_CONNECTION_INTERRUPTED));
    router.route(SIGNALING, streamState(StreamState.INTERRUPTED, StopReason.HOST_TRIGGERED));
    router.route(SIGNALING, streamState(StreamState.ACTIVE));
    expect(interrupts).toEqual([
      ['media', 'stream interrupted (DATA_CONNECTION_INTERRUPTED)'],
      ['full', 'stream interrupted (SIGNAL_CONNECTION_INTERRUPTED)'],
    ]);
    expect(terminated).toEqual([]);
  });

  it('SESSION_STATE_UPDATE is reported and ends nothing', () => {
    const { router, collect, terminated } = setup();
    const out = collect('sessionState');
    router.route(SIGNALING, { msg_type: MsgType.SESSION_STATE_UPDATE, state: 5, stop_reason: 6, rtms_session_id: 'rs-1', timestamp: 8 } as InboundMessage);
    expect(out).toEqual([{ state: 5, stateName: 'STOPPED', rtmsSessionId: 'rs-1', stopReason: 6, stopReasonName: 'MEETING_ENDED', timestamp: 8 }]);
    expect(terminated).toEqual([]);
  });

  it('STREAM_CLOSE_RESP settles the close waiter; responses go to pending requests, unsolicited ones are logged', () => {
    const { router, counts, answered, logs } = setup();
    router.route(SIGNALING, { msg_type: MsgType.STREAM_CLOSE_RESP, status_code: 0 } as InboundMessage);
    expect(counts.closeAnswered).toBe(1);
    const resp = { msg_type: MsgType.STREAM_STATE_RESP, state: 1 } as InboundMessage;
    router.route(SIGNALING, resp);
    expect(answered).toEqual([resp]);
    expect(logs).toContain('debug [rtms] signaling: unsolicited msg_type 20');
    counts.takeAnswers = true;
    router.route(SIGNALING, { msg_type: MsgType.VIDEO_SUBSCRIPTION_RESP, status_code: 0, user_id: 1 } as InboundMessage);
    expect(answered).toHaveLength(2);
    expect(logs.filter((l) => l.includes('unsolicited'))).toHaveLength(1);
  });

  it('metadata is passed on with its kind; other types are logged and skipped', () => {
    const { router, collect, logs } = setup();
    const out = collect('metadata');
    const body = { msg_type: MsgType.META_DATA_TRANSCRIPT, extra: 1 } as InboundMessage;
    router.route(MEDIA, body);
    expect(out).toEqual([{ msgType: MsgType.META_DATA_TRANSCRIPT, kind: 'transcript', body }]);
    router.route(MEDIA, { msg_type: MsgType.KEEP_ALIVE_REQ } as InboundMessage);
    expect(logs).toContain(`debug [rtms] media[audio,video,share]: msg_type ${MsgType.KEEP_ALIVE_REQ} not handled yet`);
  });
});
