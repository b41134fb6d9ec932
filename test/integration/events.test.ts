import { describe, expect, it } from 'vitest';
import { EventType, StatusCode, ZccEventType, type ActiveSpeakerEvent, type ContactCenterEvent, type ParticipantsEvent } from '../../src/index.js';
import { rig, until } from '../helpers.js';

async function live(options: Parameters<typeof rig>[0] = {}, product: 'meeting' | 'contact_center' = 'meeting') {
  const r = await rig(options);
  const stream = r.sim.createStream({ product });
  const res = await r.client.handleWebhook(stream.webhook('started'));
  const session = res.session!;
  await stream.ready();
  await until(() => session.state === 'streaming');
  return { ...r, stream, session };
}

describe('protocol events', () => {
  it('subscribes to speaker/join/leave by default and keeps a live roster', async () => {
    const { stream, session } = await live();
    await until(() => stream.subscribedEvents.size === 3);
    expect([...stream.subscribedEvents].sort()).toEqual([2, 3, 4]);
    const joins: ParticipantsEvent[] = [];
    const leaves: ParticipantsEvent[] = [];
    const speakers: ActiveSpeakerEvent[] = [];
    session.on('participantJoin', (e) => joins.push(e));
    session.on('participantLeave', (e) => leaves.push(e));
    session.on('activeSpeaker', (e) => speakers.push(e));
    expect(stream.join([{ userId: 1, userName: 'Ada' }, { userId: 2, userName: 'Grace' }])).toBe(true);
    expect(stream.sendEvent({ event_type: EventType.ACTIVE_SPEAKER_CHANGE, user_id: 2, user_name: 'Grace' })).toBe(true);
    expect(stream.leave([1])).toBe(true);
    await until(() => leaves.length === 1);
    expect(joins[0]!.participants).toEqual([{ userId: 1, userName: 'Ada' }, { userId: 2, userName: 'Grace' }]);
    expect(speakers).toMatchObject([{ userId: 2, userName: 'Grace' }]);
    expect(leaves[0]!.participants).toEqual([{ userId: 1, userName: 'Ada' }]); // name filled from the roster
    expect([...session.participants.values()]).toEqual([{ userId: 2, userName: 'Grace' }]);
  });

  it('unsubscribing at run time stops delivery; FIRST_PACKET_TIMESTAMP is always sent', async () => {
    const { stream, session } = await live({ events: [EventType.ACTIVE_SPEAKER_CHANGE, EventType.SHARING_START, EventType.SHARING_STOP] });
    await until(() => stream.subscribedEvents.size === 3);
    const sharing: boolean[] = [];
    const first: (number | undefined)[] = [];
    session.on('sharing', (e) => sharing.push(e.active));
    session.on('firstPacket', (ts) => first.push(ts));
    stream.sendEvent({ event_type: EventType.SHARING_START, user_id: 5, user_name: 'Alan' });
    stream.sendEvent({ event_type: EventType.SHARING_STOP });
    await until(() => sharing.length === 2);
    expect(session.unsubscribe([EventType.SHARING_START])).toBe(true);
    await until(() => !stream.subscribedEvents.has(EventType.SHARING_START));
    expect(stream.sendEvent({ event_type: EventType.SHARING_START })).toBe(false);
    expect(stream.sendEvent({ event_type: EventType.FIRST_PACKET_TIMESTAMP, timestamp: 1234 })).toBe(true);
    await until(() => first.length === 1);
    expect(first).toEqual([1234]);
    expect(sharing).toEqual([true, false]);
    expect([...session.subscribedEvents].sort()).toEqual([2, 6]);
  });

  it('individual video: subscribe, participant video events, duplicate refused with status 44', async () => {
    const { stream, session } = await live({ media: ['video'], mediaParams: { video: { dataOption: 'individual' } } });
    expect(session.subscribe([EventType.PARTICIPANT_VIDEO_ON, EventType.PARTICIPANT_VIDEO_OFF])).toBe(true);
    await until(() => stream.subscribedEvents.has(8));
    const on = new Promise<readonly (string | number)[]>((resolve) => session.once('participantVideo', (e) => resolve(e.userIds)));
    stream.sendEvent({ event_type: EventType.PARTICIPANT_VIDEO_ON, participants: [{ user_id: 42 }] });
    expect(await on).toEqual([42]);
    expect(await session.subscribeVideo(42)).toMatchObject({ userId: 42, statusCode: 0, statusName: 'STATUS_OK' });
    expect(stream.videoSubscription).toBe(42);
    expect(await session.subscribeVideo(42)).toMatchObject({ statusCode: StatusCode.STATUS_DUPLICATE_VIDEO_SUBSCRIPTION, statusName: 'STATUS_DUPLICATE_VIDEO_SUBSCRIPTION' });
    const frames: { bytes: number; codec: string; dataLen: number }[] = [];
    session.on('video', (v) => frames.push({ bytes: v.data.length, codec: v.format.codec, dataLen: v.data[0]! }));
    stream.sendVideo({ data: Buffer.from([0xff, 0xd8, 0xff, 0xe0]), userId: 42, userName: 'Ada' });
    await until(() => frames.length === 1);
    expect(frames[0]).toEqual({ bytes: 4, codec: 'JPG', dataLen: 0xff });
    expect((await session.subscribeVideo(42, false)).statusCode).toBe(0);
    expect(stream.videoSubscription).toBeUndefined();
  });

  it('stream and session state requests resolve with the server answer', async () => {
    const { session } = await live();
    expect(await session.requestStreamState()).toMatchObject({ state: 1, stateName: 'ACTIVE' });
    expect(await session.requestSessionState('abc')).toMatchObject({ state: 2, stateName: 'STARTED', rtmsSessionId: 'abc' });
  });

  it('requests reject with RTMS_REQUEST_FAILED when the session ends first or there is no answer', async () => {
    const { session, stream } = await live({ requestTimeoutMs: 100 });
    stream.freeze();
    await expect(session.requestStreamState()).rejects.toMatchObject({ code: 'RTMS_REQUEST_FAILED' });
    await session.stop({ closeStream: false, signal: AbortSignal.abort() });
    await expect(session.subscribeVideo(1)).rejects.toMatchObject({ code: 'RTMS_REQUEST_FAILED' });
  });

  it('session state updates, metadata and chat (plain and 2026 JSON payload) are typed', async () => {
    const { stream, session } = await live({ media: ['transcript', 'chat'] });
    const states: (string | undefined)[] = [];
    const meta: number[] = [];
    const chats: { text: string; userName: string | undefined }[] = [];
    session.on('sessionState', (u) => states.push(u.stateName));
    session.on('metadata', (m) => meta.push(m.msgType));
    session.on('chat', (c) => chats.push({ text: c.text, userName: c.userName }));
    stream.sendSignaling({ msg_type: 9, state: 2, rtms_session_id: 's1', timestamp: 1 });
    stream.sendSignaling({ msg_type: 9, state: 5, stop_reason: 6, rtms_session_id: 's1', timestamp: 2 });
    stream.sendRaw('media', JSON.stringify({ msg_type: 23, anything: true }));
    stream.sendChat({ data: 'plain hello', userId: 3, userName: 'Ada' });
    stream.sendChat({ data: JSON.stringify({ sender: { user_id: 4, user_name: 'Grace' }, text: 'json hello', operation_type: 1 }) });
    await until(() => chats.length === 2 && meta.length === 1 && states.length === 2);
    expect(states).toEqual(['STARTED', 'STOPPED']);
    expect(meta).toEqual([23]);
    expect(chats).toEqual([{ text: 'plain hello', userName: 'Ada' }, { text: 'json hello', userName: 'Grace' }]);
    expect(session.state).toBe('streaming'); // a stopped RTMS session does not end the stream
  });

  it('Contact Center events carry participant_info (both spellings)', async () => {
    const { stream, session } = await live({ events: { contact_center: [ZccEventType.CONSUMER_ANSWERED, ZccEventType.USER_HOLD] } }, 'contact_center');
    await until(() => stream.subscribedEvents.size === 2);
    const got: ContactCenterEvent[] = [];
    session.on('contactCenterEvent', (e) => got.push(e));
    stream.sendEvent({ event_type: ZccEventType.CONSUMER_ANSWERED, participant_info: { channel_id: 'c1', participant_mode: 'caller', phone_number: '+15550100', display_name: 'Caller' } });
    stream.sendEvent({ event_type: ZccEventType.USER_HOLD, paticipant_info: { channel_id: 'c2', participant_mode: 'agent', user_id: 'agent-1' } });
    await until(() => got.length === 2);
    expect(got[0]).toMatchObject({ name: 'CONSUMER_ANSWERED', participant: { channelId: 'c1', participantMode: 'caller', phoneNumber: '+15550100' } });
    expect(got[1]).toMatchObject({ name: 'USER_HOLD', participant: { channelId: 'c2', userId: 'agent-1' } });
    expect(typeof got[0]!.timestamp).toBe('number');
  });
});
