/**
 * `npm run demo`: a simulated Zoom meeting streaming through the SDK, end to end, on this machine only.
 *
 * 1. A local RTMS simulator starts on loopback (no Zoom account, no network).
 * 2. An ordinary node:http app wires `client.handleWebhook` to POST /webhook (raw body, as Zoom signs it).
 * 3. The simulator sends the app a signed `meeting.rtms_started` webhook; the SDK connects, handshakes on
 *    signaling and media, and streams a scripted meeting: a recorded spoken sentence as each speaker's audio
 *    (L16, one stream per participant), live transcripts that say it, speaker changes, chat, and H.264 video
 *    and screen share.
 * 4. `recordSession` (rtms-client/media) records it as it runs: a WAV per speaker and a mixed WAV, WebVTT and
 *    SRT captions, chat as JSON lines, and the video and share as MP4 (when the optional `mediabunny` is
 *    installed, as it is in this repository), in DEMO_RECORDINGS_DIR or a new temporary directory.
 * 5. The simulator sends `meeting.rtms_stopped`; the session stops, the recording is finalised, everything shuts
 *    down, and the demo prints the files it wrote. It needs nothing but Node (no ffmpeg, no native addon).
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtmsClient } from 'rtms-client';
import { recordSession, type RecordingResult } from 'rtms-client/media';
import { RtmsSimulator, postWebhook } from 'rtms-client/testing';

const credentials = { clientId: 'demo-client-id', clientSecret: 'demo-client-secret', webhookSecretToken: 'demo-webhook-token' };
const DURATION_MS = Number(process.env['DEMO_DURATION_MS'] ?? 6_000);
const RECORDINGS_DIR = process.env['DEMO_RECORDINGS_DIR'] ?? mkdtempSync(join(tmpdir(), 'rtms-demo-'));
/** MP4 needs the optional peer dependency mediabunny; without it the demo records audio, captions and chat only. */
const VIDEO = await import('mediabunny').then(
  () => true,
  () => false,
);

const color = (code: number) => (s: string) => (process.stdout.isTTY ? `\x1b[${code}m${s}\x1b[0m` : s);
const dim = color(2);
const bold = color(1);
const cyan = color(36);
const green = color(32);
const elapsed = (t0: number) => dim(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(4)}s]`);

async function main(): Promise<void> {
  const t0 = Date.now();
  // --- the user's app -------------------------------------------------------------------------------------
  // Audio as one L16 stream per participant; H.264 video and share (the simulator streams its 320x180 clips).
  const client = new RtmsClient({
    ...credentials,
    media: ['audio', 'transcript', 'chat', 'video', 'share'],
    mediaParams: { audio: { dataOption: 'multi' }, video: { codec: 'H264', fps: 15 }, share: { codec: 'H264', fps: 15 } },
  });
  let audioBytes = 0;
  let audioFrames = 0;
  let videoFrames = 0;
  let transcripts = 0;
  const recordings: Promise<RecordingResult>[] = [];
  client.on('session', (session) => {
    console.log(`${elapsed(t0)} ${bold('session')} ${session.id} for meeting ${session.meetingUuid}`);
    recordings.push(recordSession(session, { dir: RECORDINGS_DIR, name: 'demo', video: VIDEO }).done);
    session.on('video', () => videoFrames++);
    session.on('share', () => videoFrames++);
    session.on('state', (state, previous) => console.log(`${elapsed(t0)} ${cyan('state')}   ${previous} -> ${state}`));
    session.on('event', (e) => {
      if (e.name === 'ACTIVE_SPEAKER_CHANGE') console.log(`${elapsed(t0)} ${dim(`speaker  ${String(e.body['user_name'])}`)}`);
    });
    session.on('transcript', (t) => {
      transcripts++;
      console.log(`${elapsed(t0)} ${green(`${t.userName ?? 'unknown'}:`.padEnd(14))} ${t.text}`);
    });
    session.on('audio', (a) => {
      audioFrames++;
      audioBytes += a.data.length;
    });
    session.on('error', (err) => console.log(`${elapsed(t0)} error ${err.code}: ${err.message}`));
  });

  const app = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/webhook') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void client.handleWebhook({ headers: req.headers, body: Buffer.concat(chunks) }).then((out) => {
        res.writeHead(out.status, out.headers).end(out.body);
      });
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/webhook`;

  // --- the simulated Zoom side ------------------------------------------------------------------------------
  const sim = await RtmsSimulator.start({ ...credentials, keepAliveIntervalMs: 2_000 });
  console.log(`${elapsed(t0)} RTMS simulator on ${sim.baseUrl}; app webhook at ${webhookUrl}`);
  const stream = sim.createStream({ product: 'meeting' });
  const started = await postWebhook(webhookUrl, stream.webhook('started'));
  console.log(`${elapsed(t0)} ${bold('webhook')} meeting.rtms_started -> HTTP ${started.status}`);
  await stream.ready();

  const ticker = setInterval(() => {
    console.log(`${elapsed(t0)} ${dim(`audio    ${audioFrames} frames, ${(audioBytes / 1024).toFixed(0)} KiB (${((audioBytes / ((Date.now() - t0) / 1000)) / 1024).toFixed(1)} KiB/s)`)}`);
  }, 2_000);
  const chat = setTimeout(() => stream.sendChat({ data: 'Recording this one for the notes.', userId: 16778240, userName: 'Ada Lovelace' }), 1_500);
  await stream.playMeeting({ durationMs: DURATION_MS, speech: true });
  clearInterval(ticker);
  clearTimeout(chat);

  const stopped = await postWebhook(webhookUrl, stream.webhook('stopped'));
  console.log(`${elapsed(t0)} ${bold('webhook')} meeting.rtms_stopped -> HTTP ${stopped.status}`);
  await stream.socketsClosed();
  const recorded = await Promise.all(recordings);
  await client.close();
  await sim.close();
  await new Promise<void>((resolve) => app.close(() => resolve()));

  const violations = stream.record.violations;
  console.log('');
  console.log(bold('Summary'));
  console.log(`  transcripts received      ${transcripts}`);
  console.log(`  audio received            ${audioFrames} frames, ${audioBytes} bytes of 16 kHz mono PCM`);
  console.log(`  video and share received  ${videoFrames} H.264 frames`);
  console.log(`  keep-alives answered      ${stream.record.keepAlive.answered}`);
  console.log(`  protocol violations       ${violations.length === 0 ? 'none' : violations.map((v) => v.message).join('; ')}`);
  console.log(`  finished in               ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const r of recorded) {
    console.log('');
    console.log(bold(`Recording (${(r.durationMs / 1000).toFixed(1)} s, ${r.cues} captions, ${r.chatMessages} chat lines${r.errors.length > 0 ? `, errors: ${r.errors.join('; ')}` : ''})`));
    for (const path of recordingFiles(r)) console.log(`  ${path}`);
  }
  const failed = recorded.length === 0 || recorded.some((r) => r.samples === 0 || r.errors.length > 0);
  if (transcripts === 0 || audioFrames === 0 || failed || violations.some((v) => v.severity === 'error')) process.exitCode = 1;
}

/** Every file a recording wrote: the mixed WAV, one per speaker, captions, chat, and any other file it reports. */
function recordingFiles(r: RecordingResult): string[] {
  const files = [r.mixed, ...r.tracks.map((t) => t.path)];
  for (const value of Object.values(r)) if (typeof value === 'string' && value !== r.mixed && value.startsWith(RECORDINGS_DIR)) files.push(value);
  for (const v of [r.video, r.share]) for (const f of v.files) files.push(`${f.path} (${v.kind}, ${f.width}x${f.height}, ${f.frames} frames${f.audio ? ', with the mixed audio' : ''})`);
  if (!VIDEO) files.push('(no MP4: install mediabunny to record the video and share)');
  return files;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
