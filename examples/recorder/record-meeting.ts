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
 *   <RECORDINGS_DIR>/<meeting>/<stream id>-video-frames/, -share-frames/   with --stills: JPG video and PNG share,
 *                                                              one image a frame, named by its ms on the WAVs' clock,
 *                                                              indexed in -video-frames.jsonl, -share-frames.jsonl
 *
 *   npx tsx examples/recorder/record-meeting.ts --simulate          # a simulated meeting, files in ./recordings
 *   npx tsx examples/recorder/record-meeting.ts --simulate --opus   # the same with Opus audio (needs opus-decoder)
 *   npx tsx examples/recorder/record-meeting.ts --simulate --stills # JPG video (5 fps) and PNG share (1 fps) as images
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

/** --stills: JPG video at 5 fps and PNG screen share at 1 fps (RTMS's image codecs), kept as image files; needs nothing. */
const STILLS = process.argv.includes('--stills');

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
  for (const v of [r.video, r.share]) if (v.stills !== undefined) lines.push(`${v.stills.dir}/ (${v.kind}, ${v.stills.frames} images), index ${v.stills.index}`);
  for (const e of r.errors) lines.push(`error: ${e}`);
  return lines;
}

async function main(): Promise<void> {
  // H.264 (more than 5 fps) for the active speaker's video and the screen share, when they can be recorded;
  // with --stills, JPG and PNG images instead.
  const client = new RtmsClient({
    ...exampleCredentials(),
    media: VIDEO || STILLS ? ['audio', 'transcript', 'chat', 'video', 'share'] : ['audio', 'transcript', 'chat'],
    mediaParams: {
      audio,
      ...(STILLS
        ? { video: { codec: 'JPG', fps: 5 }, share: { codec: 'PNG', fps: 1 } }
        : VIDEO
          ? { video: { codec: 'H264', fps: 15 }, share: { codec: 'H264', fps: 15 } }
          : {}),
    },
  });
  const recordings = new Map<string, Recording>();
  client.on('session', (session) => {
    // One directory per meeting; the stream id names the files (a meeting may be streamed more than once).
    const meeting = (session.meetingUuid ?? session.webinarUuid ?? session.sessionId ?? session.engagementId ?? 'unknown').replace(/[^\w.-]+/g, '_');
    const dir = join(RECORDINGS_DIR, meeting);
    const recording = recordSession(session, { dir, name: session.id, video: VIDEO || STILLS });
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
