import { describe, expect, it } from 'vitest';
import type { AudioFrame, SessionState, TranscriptEvent } from '../../src/index.js';
import { StopReason } from '../../src/index.js';
import { CREDS, ourResources, expectNoLeaks, rig, until } from '../helpers.js';

describe('meeting end to end over loopback', () => {
  it('streams transcripts and audio exactly, in order, then stops by webhook', async () => {
    const { sim, client } = await rig();
    const stream = sim.createStream({ product: 'meeting' });
    const states: SessionState[] = [];
    const transcripts: TranscriptEvent[] = [];
    const audio: AudioFrame[] = [];
    client.on('session', (s) => {
      s.on('state', (st) => states.push(st));
      s.on('transcript', (t) => transcripts.push(t));
      s.on('audio', (a) => audio.push(a));
    });
    const res = await client.handleWebhook(stream.webhook('started'));
    expect(res.status).toBe(200);
    const session = res.session!;
    expect(session.meetingUuid).toBe(stream.productId);
    expect(session.id).toBe(stream.streamId);
    await stream.ready();
    await until(() => session.state === 'streaming');

    const pcm = Buffer.from(Array.from({ length: 640 }, (_, i) => i % 256));
    for (let i = 0; i < 50; i++) {
      expect(stream.sendAudio({ data: pcm, userId: 0, timestamp: 1000 + i * 20 })).toBe(true);
    }
    stream.sendTranscript({ userId: 7, userName: 'Ada', text: 'hello world', startTime: 1, endTime: 2, language: 9, timestamp: 5 });
    stream.sendTranscript({ userId: 8, userName: 'Grace', text: 'second line' });
    await until(() => transcripts.length === 2 && audio.length === 50);
    expect(audio.map((a) => a.timestamp)).toEqual(Array.from({ length: 50 }, (_, i) => 1000 + i * 20));
    expect(audio[0]!.data.equals(pcm)).toBe(true);
    expect(audio[0]!.format).toMatchObject({ codec: 'L16', sampleRate: 16000, channels: 1 });
    expect(transcripts[0]).toMatchObject({ text: 'hello world', userId: 7, userName: 'Ada', startTime: 1, endTime: 2, language: 9, timestamp: 5 });
    expect(transcripts[1]!.text).toBe('second line');

    const stop = await client.handleWebhook(stream.webhook('stopped', { stopReason: StopReason.MEETING_ENDED }));
    expect(stop.status).toBe(200);
    const end = await session.closed();
    expect(end).toMatchObject({ state: 'stopped', cause: 'webhook_stopped', stopReason: 6, stopReasonName: 'MEETING_ENDED' });
    expect(states).toEqual(['handshaking', 'streaming', 'stopping', 'stopped']);
    expect(client.sessions.size).toBe(0);
    await stream.socketsClosed();
    expect(stream.errors).toEqual([]);
    expect(stream.record.readyAcks).toBe(1);
  });

  it('leaves no socket, server or timer behind after client.close()', async () => {
    const baseline = ourResources();
    const { sim, client } = await rig();
    const stream = sim.createStream();
    const res = await client.handleWebhook(stream.webhook('started'));
    await stream.ready();
    await client.close();
    expect(res.session!.state).toBe('stopped');
    await sim.close();
    await expectNoLeaks(baseline);
    expect(CREDS.clientSecret.length).toBeGreaterThan(0);
  });
});
