/**
 * `npm run demo`: a simulated Zoom meeting streaming through the SDK, end to end, on this machine only.
 *
 * 1. A local RTMS simulator starts on loopback (no Zoom account, no network).
 * 2. An ordinary node:http app wires `client.handleWebhook` to POST /webhook (raw body, as Zoom signs it).
 * 3. The simulator sends the app a signed `meeting.rtms_started` webhook; the SDK connects, handshakes on
 *    signaling and media, and streams a scripted meeting: live transcripts, audio, speaker changes.
 * 4. The simulator sends `meeting.rtms_stopped`; the session stops and everything shuts down.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RtmsClient } from 'rtms-client';
import { RtmsSimulator, postWebhook } from 'rtms-client/testing';

const credentials = { clientId: 'demo-client-id', clientSecret: 'demo-client-secret', webhookSecretToken: 'demo-webhook-token' };
const DURATION_MS = Number(process.env['DEMO_DURATION_MS'] ?? 6_000);

const color = (code: number) => (s: string) => (process.stdout.isTTY ? `\x1b[${code}m${s}\x1b[0m` : s);
const dim = color(2);
const bold = color(1);
const cyan = color(36);
const green = color(32);
const elapsed = (t0: number) => dim(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(4)}s]`);

async function main(): Promise<void> {
  const t0 = Date.now();
  // --- the user's app -------------------------------------------------------------------------------------
  const client = new RtmsClient(credentials);
  let audioBytes = 0;
  let audioFrames = 0;
  let transcripts = 0;
  client.on('session', (session) => {
    console.log(`${elapsed(t0)} ${bold('session')} ${session.id} for meeting ${session.meetingUuid}`);
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
  await stream.playMeeting({ durationMs: DURATION_MS, transcriptEveryMs: 900 });
  clearInterval(ticker);

  const stopped = await postWebhook(webhookUrl, stream.webhook('stopped'));
  console.log(`${elapsed(t0)} ${bold('webhook')} meeting.rtms_stopped -> HTTP ${stopped.status}`);
  await stream.socketsClosed();
  await client.close();
  await sim.close();
  await new Promise<void>((resolve) => app.close(() => resolve()));

  const violations = stream.record.violations;
  console.log('');
  console.log(bold('Summary'));
  console.log(`  transcripts received      ${transcripts}`);
  console.log(`  audio received            ${audioFrames} frames, ${audioBytes} bytes of 16 kHz mono PCM`);
  console.log(`  keep-alives answered      ${stream.record.keepAlive.answered}`);
  console.log(`  protocol violations       ${violations.length === 0 ? 'none' : violations.map((v) => v.message).join('; ')}`);
  console.log(`  finished in               ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (transcripts === 0 || audioFrames === 0 || violations.some((v) => v.severity === 'error')) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
