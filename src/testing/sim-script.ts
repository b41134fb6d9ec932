/**
 * What a simulated stream sends: the shapes a test passes in ({@link SimTranscript}, {@link SimAudio},
 * {@link SimVideo}), the wire content built from them, synthetic audio ({@link tonePcm}, and the speech-like voice
 * the scripted meeting speaks in), new stream and product ids, and the scripted meeting ({@link MeetingScript},
 * {@link DEFAULT_LINES}, and `playMeeting`).
 *
 * Nothing here opens or picks a socket. The builders are pure; `playMeeting` plays a script through a
 * narrow `ScriptHost` (the stream), which decides where each frame goes and whether it may go at all.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { MsgType, StopReason } from '../protocol/constants.js';
import { SENTENCE_MS, SPEECH_TEXT, isKeyFrame, speechPacket, stillImages, videoFrames, voicedSpanMs } from './media-fixtures-packets.js';
import { audioPacketBytes, type AppliedAudio } from './sim-conn.js';

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

/**
 * A scripted meeting: speakers take turns; audio streams at real time, in the format the client's media handshake
 * settled, with timestamps advancing by the packet interval. The audio is either a synthetic speech-like voice
 * (each speaker its own pitch; L16 and G.711 only) or, with `speech`, a real recording of a spoken sentence in
 * any codec (L16, G.711 A-law, G.722, Opus). Video and screen share stream too when the client negotiated
 * them, in the codec and at the fps its handshake settled.
 */
export interface MeetingScript {
  /** Total length. Default 5 000 ms. */
  durationMs?: number;
  /**
   * Audio packet interval, ms. Default: the `send_rate` the client's media handshake settled (20 ms when it asked
   * for none), followed if a reconnect settles another. 0 sends no audio. Opus packets are always 20 ms.
   */
  audioFrameMs?: number;
  /**
   * Bytes per audio packet. Default: one interval of audio at the settled sample rate, channels and codec (rate ×
   * channels × bytes per sample × interval / 1000: 640 for 20 ms of 16 kHz mono L16, 3 200 for 100 ms). Not
   * used with `speech`, nor for G.722 and Opus.
   */
  audioFrameBytes?: number;
  /** Time between transcript lines. Default 1 000 ms. */
  transcriptEveryMs?: number;
  /** Lines, spoken in turn (repeating when the meeting outlasts them). */
  lines?: readonly ScriptLine[];
  /** Also send ACTIVE_SPEAKER_CHANGE events on signaling when the speaker changes. Default true. */
  speakerEvents?: boolean;
  /** Send STREAM_STATE_UPDATE TERMINATED (MEETING_ENDED) at the end. Default false. */
  terminateAtEnd?: boolean;
  /**
   * Stream real speech: a recorded sentence ("Hello from the meeting.", 1 s), looped with no gap, in the codec
   * the client's media handshake settled (the committed fixtures' own bytes: L16 at 8 or 16 kHz, G.711 A-law,
   * G.722, Opus; L16 at 32 or 48 kHz interpolated from 16 kHz). Each repetition is one line of the script,
   * spoken by the line's speaker: the transcript line says what was spoken (the lines' `text` is not used),
   * is sent once that sentence's audio has been, and its `start_time`/`end_time` are where the voice starts and
   * ends on the audio's clock; `transcriptEveryMs`, `audioFrameBytes` are ignored.
   *
   * Default: true when the client settled G.722 or Opus (the synthetic voice exists only in L16 and G.711),
   * false otherwise.
   */
  speech?: boolean;
  /**
   * Send the active speaker's video when a live media socket negotiated video (`media_params.video`), in the
   * codec and at the fps its handshake settled (the answer's `codec` and `fps`; JPG at 5 fps when the request
   * named neither), one MEDIA_DATA_VIDEO frame every 1000/fps ms with timestamps on the audio's clock:
   *
   * - H.264 (codec 7): the fixture's access units (320x180, made at 15 fps, an IDR with SPS/PPS every 15
   *   frames) in order, one a frame, so at another fps the picture moves faster or slower; none is dropped or
   *   repeated, and after frames that could not be sent (the client not ready, another codec), the next frame
   *   sent is the fixture's next IDR.
   * - JPG (5) and PNG (6): one whole 320x180 image a frame, in turn (5 JPEG pictures of a moving test pattern,
   *   3 PNG pictures of colour bars).
   *
   * Default true.
   */
  video?: boolean;
  /**
   * The same for screen share (MEDIA_DATA_SHARE, `media_params.deskshare`, JPG at 1 fps when the request named
   * neither codec nor fps), shared by the first line's speaker. Default true.
   */
  share?: boolean;
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

/**
 * Synthetic 16-bit mono PCM: a quiet tone whose pitch depends on the speaker.
 *
 * @param bytes Length of the result (rounded down to whole samples).
 * @param seed The speaker: picks the pitch (180–420 Hz).
 * @param phase Index of the first sample, so consecutive calls continue the tone.
 * @param sampleRate Hz. Default 16 000.
 */
export function tonePcm(bytes: number, seed: number, phase: number, sampleRate = 16000): Buffer {
  const buf = Buffer.allocUnsafe(bytes - (bytes % 2));
  const freq = 180 + (Math.abs(seed) % 7) * 40;
  for (let i = 0; i < buf.length / 2; i++) {
    buf.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * freq * (phase + i)) / sampleRate)), i * 2);
  }
  return buf;
}

/**
 * @internal The pitch (fundamental, Hz) of a speaker's synthetic voice: 100–232 Hz in 12 Hz steps, the range of
 * speaking voices, fixed per speaker id (the default meeting's three speakers get three pitches).
 */
export function speakerPitchHz(speaker: number | string): number {
  let h = 2166136261; // FNV-1a over the id's text
  for (const ch of String(speaker)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return 100 + ((h >>> 0) % 12) * 12;
}

/**
 * One sample (16-bit range) of a speaker's synthetic voice at sample `n` of a stream at `sampleRate`: a
 * fundamental with three harmonics, under a slow syllable-rate envelope (about 3 Hz). A real signal, so a
 * consumer that resamples, encodes or detects speech sees something voice-like, not noise or silence.
 */
function voiceSample(pitch: number, n: number, sampleRate: number): number {
  const t = n / sampleRate;
  const w = 2 * Math.PI * pitch * t;
  const tone = Math.sin(w) + 0.5 * Math.sin(2 * w) + 0.3 * Math.sin(3 * w) + 0.15 * Math.sin(4 * w);
  const envelope = 0.6 + 0.4 * Math.sin(2 * Math.PI * 3.1 * t + pitch);
  return Math.round((9000 * envelope * tone) / 1.95);
}

/** @internal G.711 A-law (PCMA) of a 16-bit sample (ITU-T G.711, as in the reference `linear2alaw`). */
export function linearToAlaw(sample: number): number {
  let v = sample >> 3;
  let mask: number;
  if (v >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    v = -v - 1;
  }
  let seg = 0;
  while (seg < 8 && v > (0x20 << seg) - 1) seg++; // segment ends 0x1F, 0x3F, ..., 0xFFF
  if (seg >= 8) return 0x7f ^ mask;
  const quant = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | quant) ^ mask;
}

/**
 * @internal `ms` of a speaker's voice in `format`, starting `offsetMs` into the stream's media time (so packets
 * join up): L16 little-endian or A-law, channels interleaved (the same voice in each). `bytes` overrides the
 * length (whole frames are filled; a remainder stays zero).
 */
export function voicePacket(format: AppliedAudio, speaker: number | string, offsetMs: number, ms: number, bytes?: number): Buffer {
  if (format.codec === 'G722' || format.codec === 'OPUS') {
    // No synthetic voice in these codecs: the recorded speech (media-fixtures-packets.ts).
    const p = speechPacket(format, Math.round(offsetMs), ms);
    return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  }
  const bytesPerSample = format.codec === 'L16' ? 2 : 1;
  const frameBytes = bytesPerSample * format.channels;
  const total = bytes ?? audioPacketBytes({ ...format, sendRate: ms });
  const buf = Buffer.alloc(total);
  const frames = Math.floor(total / frameBytes);
  const first = Math.round((offsetMs * format.sampleRate) / 1000);
  const pitch = speakerPitchHz(speaker);
  for (let i = 0; i < frames; i++) {
    const v = voiceSample(pitch, first + i, format.sampleRate);
    for (let ch = 0; ch < format.channels; ch++) {
      const k = i * format.channels + ch;
      if (bytesPerSample === 2) buf.writeInt16LE(v, k * 2);
      else buf[k] = linearToAlaw(v);
    }
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

/**
 * @internal A new product id (meeting UUID, webinar UUID, Video SDK session id, engagement id, call id) in Zoom's
 * shape: 16 random bytes in base64, 24 characters ending `==` (Zoom's example `4444AAAiAAAAAiAiAiiAii==`).
 * Drawn until it holds both `/` and `+` (at random places), the characters that break code which URL-encodes,
 * splits or path-joins ids; about one draw in twelve qualifies.
 */
export function newProductId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64');
    if (id.includes('/') && id.includes('+')) return id;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Wire content (pure: what goes in a frame, not where it goes)
// ---------------------------------------------------------------------------------------------------------

/**
 * @internal True for the EVENT_UPDATE types Zoom sends whether or not the client subscribed (D-EVT):
 * FIRST_PACKET_TIMESTAMP (1) for every product (D-ZCC-OLD says so for Contact Center too), and
 * MEDIA_CONNECTION_INTERRUPTED (7) on the products whose parties are users.
 */
export function alwaysSentEvent(eventType: number, channelKeyed: boolean): boolean {
  // FIRST_PACKET_TIMESTAMP for every product; MEDIA_CONNECTION_INTERRUPTED only where the meeting table defines it.
  return eventType === 1 || (!channelKeyed && eventType === 7);
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
  /** The audio format the client's media handshake settled (read for each packet; Zoom's default before any). */
  audioFormat(): AppliedAudio;
  /** Sends an audio packet. */
  sendAudio(a: SimAudio): boolean;
  /**
   * The video (`video`) or share (`share`) codec (MEDIA_PAYLOAD_TYPE: 5 JPG, 6 PNG, 7 H264) and fps a live media
   * socket negotiated for it, if one carries it (read for each frame).
   */
  videoFormat(kind: 'video' | 'share'): { readonly codec: number; readonly fps: number } | undefined;
  /** Sends a video frame. */
  sendVideo(v: SimVideo): boolean;
  /** Sends a screen-share frame. */
  sendShare(v: SimVideo): boolean;
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

/** The video codecs (MEDIA_PAYLOAD_TYPE) the simulator sends. */
const JPG = 5;
const PNG = 6;
const H264 = 7;

/** The fps a kind's frames are paced at while no socket carries it (then the negotiated fps): Zoom's defaults, §3.3. */
const IDLE_FPS = { video: 5, share: 1 } as const;

/** True for the codecs that only the recorded speech exists in. */
function speechOnly(format: AppliedAudio): boolean {
  return format.codec === 'G722' || format.codec === 'OPUS';
}

/**
 * @internal Plays a scripted meeting through `host`: audio at real time, transcript lines in turn, speaker-change
 * events, and video and share in the negotiated codec and fps. Resolves at the end of the script.
 *
 * Audio: packet k carries the `send_rate` ms of audio that start at `start + k × send_rate` (its timestamp, §7.2)
 * and goes out once that audio is complete, the way a live server sends it. Packets due while the client is not
 * ready are not sent (and not buffered). Opus packets are always 20 ms.
 *
 * With `speech`, sentence s (one line) is the audio from `start + s × 1000` ms; its transcript goes out at its end.
 * Video (and share) frame k has the timestamp `start + k × 1000 / fps` (rounded; fps as negotiated) and goes out
 * at that time; if the negotiated fps changes (a reconnect settles another), the grid restarts from that moment at
 * the new fps. H.264 frames are the fixture's access units in order (looped); after frames that could not be
 * sent (or another codec), the next one is the fixture's next IDR, so a decoder always starts at an IDR and never
 * sees a gap. JPG/PNG frame k is image k (looped).
 */
export function playMeeting(host: ScriptHost, script: MeetingScript): Promise<void> {
  const duration = script.durationMs ?? 5_000;
  const fixedMs = script.audioFrameMs;
  const every = script.transcriptEveryMs ?? 1_000;
  const lines = script.lines && script.lines.length > 0 ? script.lines : DEFAULT_LINES;
  const speech = script.speech ?? speechOnly(host.audioFormat());
  const start = Date.now();
  let lineIndex = 0;
  let speaker: number | string | undefined;
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
  const lineAt = (i: number): ScriptLine => lines[i % lines.length] ?? DEFAULT_LINES[0]!;
  /** The line speaking `offsetMs` into the meeting. */
  const speakingAt = (offsetMs: number): ScriptLine => (speech ? lineAt(Math.floor(offsetMs / SENTENCE_MS)) : lineAt(lineIndex));
  const changeSpeaker = (line: ScriptLine) => {
    if (script.speakerEvents !== false && line.userId !== speaker && !host.channelKeyed) {
      speaker = line.userId;
      host.sendEvent({ event_type: 2, user_id: line.userId, user_name: line.userName });
    }
  };
  return new Promise<void>((resolve) => {
    const owned = new Set<ScriptTimer>();
    let finished = false;
    const own = (t: ScriptTimer) => {
      owned.add(t);
      host.timers.add(t);
    };
    const disown = (t: ScriptTimer) => {
      clearTimeout(t);
      clearInterval(t);
      owned.delete(t);
      host.timers.delete(t);
    };
    /** Runs `tick` now and then at the time it returns (Unix ms), until it returns undefined or the script ends. */
    const schedule = (tick: () => number | undefined, firstAt: number) => {
      let timer: ScriptTimer | undefined;
      const run = () => {
        if (timer !== undefined) disown(timer);
        timer = undefined;
        if (finished) return;
        const next = tick();
        if (next === undefined) return;
        timer = setTimeout(run, Math.max(1, next - Date.now()));
        own(timer);
      };
      timer = setTimeout(run, Math.max(1, firstAt - Date.now()));
      own(timer);
    };
    // Speech: sentence s ends at start + (s + 1) × 1000; its transcript goes then (and at the end, if due).
    let sentencesSent = 0;
    const sendSentences = (upTo: number) => {
      const span = voicedSpanMs();
      while (speech && (sentencesSent + 1) * SENTENCE_MS <= Math.min(upTo - start, duration)) {
        const line = lineAt(sentencesSent);
        const at = start + sentencesSent * SENTENCE_MS;
        const channelId = channelOf(line);
        host.sendTranscript({
          userId: line.userId,
          userName: line.userName,
          text: SPEECH_TEXT,
          timestamp: at + SENTENCE_MS,
          startTime: at + span.startMs,
          endTime: at + span.endMs,
          ...(channelId === undefined ? {} : { channelId }),
        });
        sentencesSent++;
      }
    };
    const finish = () => {
      // The meeting's last packets: every one whose audio ends by the end (a timer may fire a little early).
      pumpAudio(Math.max(Date.now(), start + duration));
      sendSentences(start + duration);
      finished = true;
      for (const t of [...owned]) disown(t);
      if (script.terminateAtEnd) host.terminate(StopReason.MEETING_ENDED);
      resolve();
    };
    const current = () => lineAt(lineIndex);
    // Real-time pacing that corrects itself: send every packet whose audio is complete, then sleep until the next.
    let cursor = start;
    const interval = (format: AppliedAudio) => (format.codec === 'OPUS' ? 20 : (fixedMs ?? format.sendRate));
    /** Sends every audio packet complete by `now`; returns when the next one is. */
    const pumpAudio = (now = Date.now()): number => {
      let format = host.audioFormat();
      let ms = interval(format);
      // Up to the meeting's end: a packet whose audio would run past it is not sent.
      while (fixedMs !== 0 && now >= cursor + ms && cursor + ms <= start + duration) {
        const offset = cursor - start;
        const line = speakingAt(offset);
        // Mixed audio has user_id 0; per-participant audio names the speaker (D-MEDIA, §7.2).
        const multi = format.multiStream;
        const data = speech || speechOnly(format) ? speechPacket(format, offset, ms) : voicePacket(format, line.userId, offset, ms, script.audioFrameBytes);
        host.sendAudio({
          data,
          userId: multi ? line.userId : 0,
          ...(multi ? { userName: line.userName } : {}),
          timestamp: cursor,
          ...(host.channelKeyed ? { channelId: channelOf(line) } : {}),
        });
        cursor += ms;
        format = host.audioFormat();
        ms = interval(format);
      }
      return cursor + ms;
    };
    if (fixedMs !== 0) schedule(() => pumpAudio(), start + interval(host.audioFormat()));
    if (speech) {
      // Speaker changes at each sentence's start, transcripts at its end.
      let boundary = 0;
      changeSpeaker(lineAt(0));
      schedule(() => {
        const now = Date.now();
        pumpAudio(); // a sentence's last packet goes before its transcript
        sendSentences(now);
        while (start + (boundary + 1) * SENTENCE_MS <= now) boundary++;
        if (boundary * SENTENCE_MS < duration) changeSpeaker(lineAt(boundary));
        return start + (boundary + 1) * SENTENCE_MS;
      }, start + SENTENCE_MS);
    } else {
      const speak = () => {
        const line = current();
        changeSpeaker(line);
        const channelId = channelOf(line);
        host.sendTranscript({ userId: line.userId, userName: line.userName, text: line.text, ...(channelId === undefined ? {} : { channelId }) });
        lineIndex++;
      };
      own(setInterval(speak, every));
    }
    for (const kind of ['video', 'share'] as const) {
      if (script[kind] === false) continue;
      const h264 = videoFrames(kind);
      const fpsOf = (format: { fps: number } | undefined) => Math.min(30, Math.max(1, Math.round(format?.fps ?? IDLE_FPS[kind])));
      // Frame n after `anchor` is due at anchor + n × 1000 / fps; k counts every frame since the start (the picture).
      let fps = fpsOf(host.videoFormat(kind));
      let anchor = start;
      let n = 0;
      let k = 0;
      let needKey = true;
      const at = () => anchor + Math.round((n * 1000) / fps);
      schedule(() => {
        const now = Date.now();
        while (at() <= now) {
          const format = host.videoFormat(kind);
          if (format !== undefined && fpsOf(format) !== fps) {
            // Another fps was settled (or the first one, after none): a new grid from now.
            fps = fpsOf(format);
            anchor = now;
            n = 0;
          }
          const timestamp = at();
          const line = kind === 'share' ? lineAt(0) : speakingAt(timestamp - start);
          const send = (data: Uint8Array) => {
            const v = { data, userId: line.userId, userName: line.userName, timestamp };
            return kind === 'video' ? host.sendVideo(v) : host.sendShare(v);
          };
          let sent = false;
          if (format?.codec === H264) {
            // A decoder starts at an IDR: after frames not sent, the next one is the fixture's next IDR (the
            // P-frames skipped to reach it were never sent, so the receiver sees no gap in the stream).
            if (needKey) for (let i = 0; i < h264.length && !isKeyFrame(h264[k % h264.length] ?? new Uint8Array(0)); i++) k++;
            sent = send(h264[k % h264.length] ?? new Uint8Array(0));
          } else if (format?.codec === JPG || format?.codec === PNG) {
            const images = stillImages(format.codec === JPG ? 'JPG' : 'PNG');
            send(images[k % images.length] ?? new Uint8Array(0));
          }
          // H.264 resumes at an IDR after any frame it did not send (none sent, another codec, no socket).
          needKey = !(sent && format?.codec === H264);
          k++;
          n++;
        }
        return at();
      }, start);
    }
    own(setTimeout(finish, duration));
  });
}
