/**
 * Live captions in the terminal: one line per utterance, with the speaker and the time into the meeting.
 * Reads transcripts through an async iterator, so a slow terminal can never make memory grow.
 *
 *   npx tsx examples/captions/print-captions.ts --simulate
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... npx tsx examples/captions/print-captions.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RtmsClient, type RtmsSession } from 'rtms-client';

/** Formats one caption line. */
export function caption(startMs: number, at: number | undefined, who: string | undefined, text: string): string {
  const s = Math.max(0, Math.round(((at ?? startMs) - startMs) / 1000));
  const mm = String(Math.floor(s / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `[${mm}:${ss}] ${(who ?? 'Unknown').padEnd(14)} ${text}`;
}

/** Prints a session's captions until it ends. */
export async function printCaptions(session: RtmsSession, write: (line: string) => void = console.log): Promise<number> {
  const start = Date.now();
  let n = 0;
  const transcripts = session.transcripts({ highWaterMark: 256, overflow: 'drop-oldest' });
  for await (const t of transcripts) {
    write(caption(start, t.startTime ?? t.timestamp, t.userName, t.text));
    n++;
  }
  if (transcripts.dropped > 0) write(`(${transcripts.dropped} captions skipped: the terminal was too slow)`);
  return n;
}

async function main(): Promise<void> {
  const simulate = process.argv.includes('--simulate');
  const credentials = simulate
    ? { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', webhookSecretToken: 'sim-secret-token' }
    : { clientId: process.env['ZOOM_CLIENT_ID'] ?? '', clientSecret: process.env['ZOOM_CLIENT_SECRET'] ?? '', webhookSecretToken: process.env['ZOOM_SECRET_TOKEN'] ?? '' };
  const client = new RtmsClient({ ...credentials, media: ['transcript'] });
  const printing: Promise<number>[] = [];
  client.on('session', (session) => printing.push(printCaptions(session)));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void client.handleWebhook({ headers: req.headers, body: Buffer.concat(chunks) }).then((out) => res.writeHead(out.status, out.headers).end(out.body)));
  });
  await new Promise<void>((resolve) => server.listen(simulate ? 0 : Number(process.env['PORT'] ?? 3000), resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  if (!simulate) {
    console.log(`listening on ${url}`);
    return;
  }
  const { RtmsSimulator, postWebhook } = await import('rtms-client/testing');
  const sim = await RtmsSimulator.start(credentials);
  const stream = sim.createStream();
  await postWebhook(url, stream.webhook('started'));
  await stream.ready();
  await stream.playMeeting({ durationMs: Number(process.env['DURATION_MS'] ?? 4000), transcriptEveryMs: 600, audioFrameMs: 0 });
  await postWebhook(url, stream.webhook('stopped'));
  await Promise.all(printing);
  await client.close();
  await sim.close();
  server.close();
}

if (process.argv[1]?.endsWith('print-captions.ts')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
