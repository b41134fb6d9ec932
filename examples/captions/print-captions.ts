/**
 * Live captions in the terminal: one line per utterance, with the speaker and the time into the meeting.
 * Reads transcripts through an async iterator, so a slow terminal can never make memory grow.
 *
 *   npx tsx examples/captions/print-captions.ts --simulate
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... npx tsx examples/captions/print-captions.ts
 */
import { RtmsClient, type RtmsSession } from 'rtms-client';
import { exampleCredentials, serveWebhooks, simulateMeeting, simulating } from '../shared/app.js';

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
  const client = new RtmsClient({ ...exampleCredentials(), media: ['transcript'] });
  const printing: Promise<number>[] = [];
  client.on('session', (session) => printing.push(printCaptions(session)));
  const { server, url } = await serveWebhooks(client);
  if (!simulating) {
    console.log(`listening on ${url}`);
    return;
  }
  await simulateMeeting(url, { durationMs: 4_000, transcriptEveryMs: 600, audioFrameMs: 0 });
  await Promise.all(printing);
  await client.close();
  server.close();
}

if (process.argv[1]?.endsWith('print-captions.ts')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
