/**
 * The recorder's pieces (rtms-client/media): caption cues (WebVTT and SRT text), the streaming WAV writer, and
 * recordSession over a stand-in session: file errors reported, not thrown; nothing left open; captions and chat
 * that arrive before any audio wait for the clock.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEBVTT_HEADER, WavWriter, recordSession, srtCue, vttCue } from '../../src/media/index.js';
import { TextFile } from '../../src/media/text-file.js';
import { fakeSession, openFds, tempDir } from '../media-helpers.js';

const FORMAT = { contentType: 'raw', codec: 'L16', sampleRate: 16000, channels: 1, sendRate: 20, dataOption: 'multi' } as const;
const T0 = 1_700_000_000_000;

describe('caption cues', () => {
  it('WebVTT: numbered, hh:mm:ss.mmm timings, a voice span, text escaped and on one line', () => {
    expect(WEBVTT_HEADER).toBe('WEBVTT\n\n');
    const cue = vttCue(3, { startMs: 3_723_004, endMs: 3_725_000, speaker: 'Ada <The> & Co', text: 'a < b && c --> d\n\nnext' });
    expect(cue).toBe('3\n01:02:03.004 --> 01:02:05.000\n<v Ada &lt;The&gt; &amp; Co>a &lt; b &amp;&amp; c --&gt; d next</v>\n\n');
    expect(vttCue(1, { startMs: 0, endMs: 1, speaker: undefined, text: '  ' })).toBe('1\n00:00:00.000 --> 00:00:00.001\n…\n\n');
  });

  it('SRT: hh:mm:ss,mmm timings and a "Name: " prefix', () => {
    expect(srtCue(1, { startMs: 61_500, endMs: 62_000, speaker: 'Grace', text: 'hello\r\nworld' })).toBe('1\n00:01:01,500 --> 00:01:02,000\nGrace: hello world\n\n');
  });
});

describe('WavWriter', () => {
  it('reports an unwritable path instead of throwing, and ignores later writes', () => {
    const w = new WavWriter(join(tempDir(), 'missing', 'x.wav'), 16000, 1);
    expect(w.error).toBeDefined();
    w.write(new Int16Array(10));
    w.writeSilence(100);
    w.close();
    w.close();
    expect(w.samples).toBe(0);
  });

  it('writes silence in bounded blocks and patches the sizes on close', () => {
    const path = join(tempDir(), 'x.wav');
    const w = new WavWriter(path, 8000, 2);
    w.writeSilence(100_000);
    w.write(Int16Array.from([1, -1]));
    w.close();
    const b = readFileSync(path);
    expect(b.readUInt32LE(40)).toBe(100_001 * 4);
    expect(b.readUInt32LE(4)).toBe(36 + 100_001 * 4);
    expect(b.readInt16LE(b.length - 2)).toBe(-1);
  });
});

describe('a file whose writes fail is still closed', () => {
  // /dev/full opens, and every write to it fails with ENOSPC: a disk that filled mid-meeting.
  it.skipIf(!existsSync('/dev/full') || openFds() === undefined)('TextFile (captions, chat): the first error kept, no descriptor left open', () => {
    const before = openFds()!;
    for (let i = 0; i < 20; i++) {
      const f = new TextFile('/dev/full', '');
      f.append('a line\n');
      f.append('another\n'); // after the error: nothing
      f.close();
      expect(f.error?.message).toMatch(/ENOSPC/);
    }
    expect(openFds()).toBe(before);
  });
});

describe('recordSession with a stand-in session', () => {
  it('captions and chat that arrive before any audio wait for the clock; every file is closed at the end', async () => {
    const dir = tempDir();
    const before = openFds();
    const { session, emit, close, emitter } = fakeSession();
    const rec = recordSession(session, { dir });
    emit('transcript', { text: 'early words', userId: 5, userName: 'Ada', channelId: undefined, timestamp: T0 + 500, startTime: T0 + 500, endTime: T0 + 1500, language: 9, attribute: undefined, content: {} });
    emit('chat', { text: 'hi', timestamp: T0 + 700, userId: 5, userName: 'Ada', payload: undefined, raw: 'hi', content: {} });
    emit('firstPacket', T0);
    for (let k = 0; k < 60; k++) emit('audio', { data: Buffer.alloc(640, 1), userId: 5, userName: 'Ada', channelId: undefined, timestamp: T0 + k * 20, format: FORMAT, content: {} });
    close();
    const r = await rec.done;
    expect(r.errors).toEqual([]);
    expect(r.start).toBe(T0);
    expect(r.samples).toBe(60 * 320);
    expect(readFileSync(r.vtt as string, 'utf8')).toBe('WEBVTT\n\n1\n00:00:00.500 --> 00:00:01.500\n<v Ada>early words</v>\n\n');
    expect(JSON.parse(readFileSync(r.chat as string, 'utf8'))).toMatchObject({ t: 700, userName: 'Ada', text: 'hi' });
    expect(r.tracks.map((t) => [t.key, t.userName, t.path.endsWith(`${'stream_1_'}-user-5.wav`)])).toEqual([['user:5', 'Ada', true]]);
    expect(['audio', 'transcript', 'chat', 'firstPacket'].map((e) => emitter.listenerCount(e))).toEqual([0, 0, 0, 0]);
    if (before !== undefined) expect(openFds()).toBe(before);
  });

  it('an unwritable directory: the recording completes with the errors listed, nothing thrown', async () => {
    const file = join(tempDir(), 'not-a-dir');
    new WavWriter(file, 8000, 1).close(); // a file where the directory should be
    const { session, emit, close } = fakeSession();
    const rec = recordSession(session, { dir: file, name: 'x' });
    emit('audio', { data: Buffer.alloc(640), userId: 5, userName: 'Ada', channelId: undefined, timestamp: T0, format: FORMAT, content: {} });
    emit('transcript', { text: 'words', userId: 5, userName: 'Ada', channelId: undefined, timestamp: T0, startTime: T0, endTime: T0 + 100, language: 9, attribute: undefined, content: {} });
    close();
    const r = await rec.done;
    expect(r.errors.length).toBeGreaterThanOrEqual(3);
    expect(r.errors.join('\n')).toMatch(/not-a-dir/);
  });

  it('a transcript-only session: the clock starts at the first caption', async () => {
    const dir = tempDir();
    const { session, emit, close } = fakeSession('s');
    const rec = recordSession(session, { dir, chat: false });
    emit('transcript', { text: 'one', userId: 1, userName: 'A', channelId: undefined, timestamp: T0, startTime: T0, endTime: T0 + 900, language: 9, attribute: undefined, content: {} });
    emit('transcript', { text: 'two', userId: 2, userName: undefined, channelId: undefined, timestamp: T0 + 2000, startTime: undefined, endTime: undefined, language: 9, attribute: undefined, content: {} });
    close();
    const r = await rec.done;
    expect(r.chat).toBeUndefined();
    expect(r.samples).toBe(0);
    expect(readFileSync(r.srt as string, 'utf8')).toBe('1\n00:00:00,000 --> 00:00:00,900\nA: one\n\n2\n00:00:02,000 --> 00:00:03,000\n2: two\n\n');
  });
});
