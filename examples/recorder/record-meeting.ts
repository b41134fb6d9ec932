/**
 * A meeting recorder: every stream Zoom starts is recorded with `recordSession` from `rtms-client/media`, into
 * its own directory, while the meeting runs:
 *
 *   <RECORDINGS_DIR>/<meeting>/<stream id>-mixed.wav           every speaker mixed
 *   <RECORDINGS_DIR>/<meeting>/<stream id>-user-<id>.wav       one per speaker, sample-aligned, equal length
 *   <RECORDINGS_DIR>/<meeting>/<stream id>.vtt, .srt           the transcript as captions with speaker names
 *   <RECORDINGS_DIR>/<meeting>/<stream id>-chat.jsonl          chat, one JSON object a line
 *   <RECORDINGS_DIR>/<meeting>/<stream id>-video.mp4, -share.mp4   H.264 active-speaker video and screen share,
 *                                                              each with the mixed audio (needs mediabunny)
 *
 *   npx tsx examples/recorder/record-meeting.ts --simulate          # a simulated meeting, files in ./recordings
 *   npx tsx examples/recorder/record-meeting.ts --simulate --opus   # the same with Opus audio (needs opus-decoder)
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... npx tsx examples/recorder/record-meeting.ts
 *
 * The files are readable while they are written (a crash loses only the last moments), and are finalised when the
 * stream stops, or on SIGINT/SIGTERM, which stop every recording before the process exits.
 */
import { join } from 'node:path';
import { RtmsClient, type AudioParams } from 'rtms-client';
import { recordSession, type Recording, type RecordingResult } from 'rtms-client/media';
import { exampleCredentials, serveWebhooks, simulateMeeting, simulating } from '../shared/app.js';

const RECORDINGS_DIR = process.env['RECORDINGS_DIR'] ?? 'recordings';

/** MP4 needs the optional peer dependency mediabunny (npm install mediabunny); without it, no video is asked for. */
const VIDEO = await import('mediabunny').then(
  () => true,
  () => false,
);

/** One audio stream per participant, in L16 (nothing to install) or Opus (the optional peer dependency opus-decoder). */
const audio: AudioParams = process.argv.includes('--opus') ? { codec: 'OPUS', sampleRate: 48000, dataOption: 'multi' } : { dataOption: 'multi' };

/** What a finished recording wrote, one line a file. */
function describe(r: RecordingResult): string[] {
  const lines = [`${r.mixed} (mixed, ${(r.durationMs / 1000).toFixed(1)} s)`];
  for (const t of r.tracks) lines.push(`${t.path} (${t.userName ?? t.channelId ?? t.key})`);
  if (r.vtt !== undefined) lines.push(`${r.vtt} (${r.cues} captions)`);
  if (r.srt !== undefined) lines.push(r.srt);
  if (r.chat !== undefined) lines.push(`${r.chat} (${r.chatMessages} chat messages)`);
  for (const v of [r.video, r.share]) for (const f of v.files) lines.push(`${f.path} (${v.kind}, ${f.width}x${f.height}, ${f.frames} frames)`);
  for (const e of r.errors) lines.push(`error: ${e}`);
  return lines;
}

async function main(): Promise<void> {
  // H.264 (more than 5 fps) for the active speaker's video and the screen share, when they can be recorded.
  const client = new RtmsClient({
    ...exampleCredentials(),
    media: VIDEO ? ['audio', 'transcript', 'chat', 'video', 'share'] : ['audio', 'transcript', 'chat'],
    mediaParams: { audio, ...(VIDEO ? { video: { codec: 'H264', fps: 15 }, share: { codec: 'H264', fps: 15 } } : {}) },
  });
  const recordings = new Map<string, Recording>();
  client.on('session', (session) => {
    // One directory per meeting; the stream id names the files (a meeting may be streamed more than once).
    const meeting = (session.meetingUuid ?? session.webinarUuid ?? session.sessionId ?? session.engagementId ?? 'unknown').replace(/[^\w.-]+/g, '_');
    const dir = join(RECORDINGS_DIR, meeting);
    const recording = recordSession(session, { dir, name: session.id, video: VIDEO });
    recordings.set(session.id, recording);
    console.log(`recording stream ${session.id} into ${dir}`);
    void recording.done.then((r) => {
      recordings.delete(session.id);
      console.log(`stream ${session.id} recorded:`);
      for (const line of describe(r)) console.log(`  ${line}`);
    });
  });
  const { server, url } = await serveWebhooks(client);

  const shutdown = async () => {
    // Finalise what is being recorded (headers patched, files closed), then leave every stream.
    await Promise.all([...recordings.values()].map((r) => r.stop()));
    await client.close();
    server.close();
  };
  if (!simulating) {
    console.log(`listening on ${url}`);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown());
    return;
  }
  // The simulator's recorded sentence, spoken in turn by each speaker, with transcripts and captions to match.
  await simulateMeeting(url, { durationMs: 3_000, speech: true });
  await Promise.all([...recordings.values()].map((r) => r.done));
  await shutdown();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
