/**
 * What a simulated stream sends: the shapes a test passes in ({@link SimTranscript}, {@link SimAudio},
 * {@link SimVideo}), the wire content built from them, synthetic audio ({@link tonePcm}), new stream ids, and the
 * scripted meeting ({@link MeetingScript}, {@link DEFAULT_LINES}, and `playMeeting`).
 *
 * Nothing here opens or picks a socket. The builders are pure; `playMeeting` plays a script through a
 * narrow `ScriptHost` (the stream), which decides where each frame goes and whether it may go at all.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { MsgType, StopReason } from '../protocol/constants.js';

/** A transcript line to send. */
export interface SimTranscript {
  /** Speaker id. Default 0. */
  userId?: number | string;
  /** Speaker name. Omitted from the frame when not given. */
  userName?: string;
  /** The utterance. */
  text: string;
  /** Unix ms. Default now. */
  timestamp?: number;
  /** Utterance start, Unix ms. Default now − 1.5 s. */
  startTime?: number;
  /** Utterance end, Unix ms. Default now. */
  endTime?: number;
  /** Language id. Default 9 (English). */
  language?: number;
  /** Contact Center channel of the speaker. */
  channelId?: string;
}

/** An audio packet to send. */
export interface SimAudio {
  /** Raw audio bytes (sent base64-encoded). */
  data: Uint8Array;
  /** Speaker; 0 (default) for mixed audio. Not sent for Contact Center. */
  userId?: number | string;
  /** Speaker name, for per-participant audio. */
  userName?: string;
  /** Unix ms. Default now. */
  timestamp?: number;
  /** Contact Center channel. Default `'0'` for Contact Center streams. */
  channelId?: string;
}

/** A video or share frame to send. */
export interface SimVideo {
  /** Frame bytes (JPG, PNG or H.264), sent base64-encoded. */
  data: Uint8Array;
  /** Whose video. Default 0. */
  userId?: number | string;
  /** Their name. */
  userName?: string;
  /** Unix ms. Default now. */
  timestamp?: number;
}

/** One line of a scripted meeting. `channelId` is for Contact Center streams. */
export interface ScriptLine {
  /** Speaker id. */
  userId: number | string;
  /** Speaker name. */
  userName: string;
  /** What they say. */
  text: string;
  /** Contact Center channel of the speaker. */
  channelId?: string;
}

/** A scripted meeting: speakers take turns; audio streams at real time. */
export interface MeetingScript {
  /** Total length. Default 5 000 ms. */
  durationMs?: number;
  /** Audio packet interval (send_rate). Default 20 ms. 0 sends no audio. */
  audioFrameMs?: number;
  /** Bytes per audio packet. Default 640 (20 ms of 16 kHz mono L16). */
  audioFrameBytes?: number;
  /** Time between transcript lines. Default 1 000 ms. */
  transcriptEveryMs?: number;
  /** Lines, spoken in turn (repeating when the meeting outlasts them). */
  lines?: readonly ScriptLine[];
  /** Also send ACTIVE_SPEAKER_CHANGE events on signaling when the speaker changes. Default true. */
  speakerEvents?: boolean;
  /** Send STREAM_STATE_UPDATE TERMINATED (MEETING_ENDED) at the end. Default false. */
  terminateAtEnd?: boolean;
}

/** The default meeting script's lines. */
export const DEFAULT_LINES: readonly ScriptLine[] = [
  { userId: 16778240, userName: 'Ada Lovelace', text: 'Good morning, everyone. Shall we start with the roadmap?' },
  { userId: 16779264, userName: 'Grace Hopper', text: 'Yes. The compiler work is ahead of schedule.' },
  { userId: 16780288, userName: 'Alan Turing', text: 'I have a question about the test plan for the new release.' },
  { userId: 16778240, userName: 'Ada Lovelace', text: 'Go ahead, Alan.' },
  { userId: 16780288, userName: 'Alan Turing', text: 'Do we run the simulator in CI, or only on our laptops?' },
  { userId: 16779264, userName: 'Grace Hopper', text: 'In CI, on every commit. It needs no Zoom account.' },
];

/** Synthetic 16-bit PCM: a quiet tone whose pitch depends on the speaker. */
export function tonePcm(bytes: number, seed: number, phase: number): Buffer {
  const buf = Buffer.allocUnsafe(bytes - (bytes % 2));
  const freq = 180 + (Math.abs(seed) % 7) * 40;
  for (let i = 0; i < buf.length / 2; i++) {
    buf.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * freq * (phase + i)) / 16000)), i * 2);
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------------------
// Stream ids
// ---------------------------------------------------------------------------------------------------------

/** @internal A new `rtms_stream_id`: 32 random hex digits. */
export function newStreamId(): string {
  return randomUUID().replace(/-/g, '');
}

/** @internal A new product id (meeting UUID, ...): base64, with `/`, `+` and `=` in it. */
export function newProductId(): string {
  // Zoom UUIDs are base64 and often contain '/', '+' or '='; make sure ours do too.
  return `${randomBytes(15).toString('base64').slice(0, 18)}/+${randomBytes(3).toString('base64')}==`;
}

// ---------------------------------------------------------------------------------------------------------
// Wire content (pure: what goes in a frame, not where it goes)
// ---------------------------------------------------------------------------------------------------------

/**
 * @internal True for the EVENT_UPDATE types Zoom sends whether or not the client subscribed (D-EVT):
 * FIRST_PACKET_TIMESTAMP (1) and MEDIA_CONNECTION_INTERRUPTED (7), on the products whose parties are users.
 */
export function alwaysSentEvent(eventType: number, channelKeyed: boolean): boolean {
  return !channelKeyed && (eventType === 1 || eventType === 7);
}

/** @internal The `content` of a MEDIA_DATA_TRANSCRIPT frame. */
export function transcriptContent(t: SimTranscript): Record<string, unknown> {
  const now = Date.now();
  const content: Record<string, unknown> = {
    user_id: t.userId ?? 0,
    ...(t.userName === undefined ? {} : { user_name: t.userName }),
    data: t.text,
    timestamp: t.timestamp ?? now,
    start_time: t.startTime ?? now - 1500,
    end_time: t.endTime ?? now,
    language: t.language ?? 9,
  };
  if (t.channelId !== undefined) content['channel_id'] = t.channelId;
  return content;
}

/** @internal The `content` of a MEDIA_DATA_AUDIO frame: channel-keyed products carry `channel_id` and no user. */
export function audioContent(a: SimAudio, channelKeyed: boolean): Record<string, unknown> {
  const data = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const content: Record<string, unknown> = { data: data.toString('base64'), length: data.length, timestamp: a.timestamp ?? Date.now() };
  if (channelKeyed) content['channel_id'] = a.channelId ?? '0';
  else {
    content['user_id'] = a.userId ?? 0;
    if (a.userName !== undefined) content['user_name'] = a.userName;
  }
  return content;
}

/** @internal The `content` of a MEDIA_DATA_VIDEO or MEDIA_DATA_SHARE frame. */
export function frameContent(v: SimVideo): Record<string, unknown> {
  const data = Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);
  return {
    user_id: v.userId ?? 0,
    ...(v.userName === undefined ? {} : { user_name: v.userName }),
    data: data.toString('base64'),
    length: data.length,
    timestamp: v.timestamp ?? Date.now(),
  };
}

/** @internal The `content` of a MEDIA_DATA_CHAT frame; `data` goes as given. */
export function chatContent(c: { data: string; userId?: number; userName?: string; timestamp?: number }): Record<string, unknown> {
  return {
    data: c.data,
    timestamp: c.timestamp ?? Date.now(),
    ...(c.userId === undefined ? {} : { user_id: c.userId }),
    ...(c.userName === undefined ? {} : { user_name: c.userName }),
  };
}

/** @internal An EVENT_UPDATE message carrying `event`, stamped with the current time. */
export function eventUpdate(event: { event_type: number; [key: string]: unknown }, channelKeyed: boolean): Record<string, unknown> {
  // Contact Center bodies name their time event_ts (D-ZCCEV); the Zoom Phone sample reads them the same way.
  const ts = channelKeyed ? { event_ts: Date.now() } : { timestamp: Date.now() };
  return { msg_type: MsgType.EVENT_UPDATE, event: { ...ts, ...event } };
}

// ---------------------------------------------------------------------------------------------------------
// The scripted meeting
// ---------------------------------------------------------------------------------------------------------

/** @internal A timer a script starts. */
export type ScriptTimer = ReturnType<typeof setTimeout>;

/**
 * @internal What {@link playMeeting} plays through: the stream. Each send is the stream's own public method, so
 * a script sends exactly what a test could (and nothing while the stream is not ready).
 */
export interface ScriptHost {
  /** Audio and transcripts are keyed by `channel_id` (Contact Center, Zoom Phone); no roster, no speaker events. */
  readonly channelKeyed: boolean;
  /** The client asked for one audio stream per participant (read for each packet). */
  audioMultiStream(): boolean;
  /** Sends an audio packet. */
  sendAudio(a: SimAudio): boolean;
  /** Sends a transcript line. */
  sendTranscript(t: SimTranscript): boolean;
  /** Sends an EVENT_UPDATE (if subscribed). */
  sendEvent(event: { event_type: number; [key: string]: unknown }): boolean;
  /** PARTICIPANT_JOIN (if subscribed). */
  join(participants: readonly { userId: number | string; userName: string }[]): boolean;
  /** Ends the stream (STREAM_STATE_UPDATE TERMINATED, sockets closed). */
  terminate(reason: number): void;
  /** The stream's timers: a script adds each timer it starts and removes it when it ends; the stream clears the rest when disposed. */
  readonly timers: Set<ScriptTimer>;
}

/**
 * @internal Plays a scripted meeting through `host`: audio at real time, transcript lines in turn, speaker-change
 * events. Resolves at the end of the script.
 */
export function playMeeting(host: ScriptHost, script: MeetingScript): Promise<void> {
  const duration = script.durationMs ?? 5_000;
  const frameMs = script.audioFrameMs ?? 20;
  const frameBytes = script.audioFrameBytes ?? 640;
  const every = script.transcriptEveryMs ?? 1_000;
  const lines = script.lines && script.lines.length > 0 ? script.lines : DEFAULT_LINES;
  const start = Date.now();
  let lineIndex = 0;
  let speaker: number | string | undefined;
  let phase = 0;
  // Contact Center and Zoom Phone: one channel per party, numbered in speaking order, unless the line names one.
  const channels = new Map<number | string, string>();
  const channelOf = (line: ScriptLine): string | undefined => {
    if (!host.channelKeyed) return undefined;
    if (line.channelId !== undefined) return line.channelId;
    let ch = channels.get(line.userId);
    if (ch === undefined) {
      ch = String(channels.size + 1);
      channels.set(line.userId, ch);
    }
    return ch;
  };
  if (!host.channelKeyed) {
    const seen = new Map<number | string, string>();
    for (const l of lines) seen.set(l.userId, l.userName);
    host.join([...seen].map(([userId, userName]) => ({ userId, userName })));
  }
  return new Promise<void>((resolve) => {
    const finish = () => {
      for (const t of owned) {
        clearTimeout(t);
        clearInterval(t);
        host.timers.delete(t);
      }
      if (script.terminateAtEnd) host.terminate(StopReason.MEETING_ENDED);
      resolve();
    };
    const owned: ScriptTimer[] = [];
    const current = () => lines[lineIndex % lines.length] ?? DEFAULT_LINES[0]!;
    if (frameMs > 0) {
      // Self-correcting real-time pacing: send as many frames as wall time says are due.
      let sent = 0;
      const audio = setInterval(() => {
        const due = Math.floor((Date.now() - start) / frameMs);
        while (sent < due) {
          const line = current();
          // Mixed audio has user_id 0; per-participant audio names the speaker (D-MEDIA, §7.2).
          const multi = host.audioMultiStream();
          host.sendAudio({
            data: tonePcm(frameBytes, Number(line.userId) || 0, phase),
            userId: multi ? line.userId : 0,
            ...(multi ? { userName: line.userName } : {}),
            timestamp: start + sent * frameMs,
            ...(host.channelKeyed ? { channelId: channelOf(line) } : {}),
          });
          phase += frameBytes / 2;
          sent++;
        }
      }, frameMs);
      owned.push(audio);
      host.timers.add(audio);
    }
    const speak = () => {
      const line = current();
      if (script.speakerEvents !== false && line.userId !== speaker && !host.channelKeyed) {
        speaker = line.userId;
        host.sendEvent({ event_type: 2, user_id: line.userId, user_name: line.userName });
      }
      const channelId = channelOf(line);
      host.sendTranscript({ userId: line.userId, userName: line.userName, text: line.text, ...(channelId === undefined ? {} : { channelId }) });
      lineIndex++;
    };
    const transcripts = setInterval(speak, every);
    owned.push(transcripts);
    host.timers.add(transcripts);
    const end = setTimeout(finish, duration);
    owned.push(end);
    host.timers.add(end);
  });
}
