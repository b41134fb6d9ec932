/**
 * Records each session's audio to WAV files: one file for mixed audio, or one per speaker when the client asks
 * for one stream per participant (`audio.dataOption: 'multi'`).
 *
 *   npx tsx examples/recorder/record-wav.ts --simulate           # a simulated meeting, files in ./recordings
 *   npx tsx examples/recorder/record-wav.ts --simulate --mixed   # one mixed file instead of one per speaker
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... npx tsx examples/recorder/record-wav.ts
 *
 * Files are written as audio arrives (bounded memory) and the WAV header is patched with the final length when
 * the session ends, so a recording survives however long the meeting runs.
 */
import { mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { RtmsClient, wavHeader, type AudioFormat, type RtmsSession } from 'rtms-client';
import { exampleCredentials, serveWebhooks, simulateMeeting, simulating } from '../shared/app.js';

/** Writes one WAV file incrementally; `close()` patches the header with the final sizes. */
class WavFile {
  private readonly fd: number;
  private bytes = 0;
  constructor(readonly path: string, private readonly format: AudioFormat) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, wavHeader(format, 0));
  }
  write(data: Buffer): void {
    writeSync(this.fd, data);
    this.bytes += data.length;
  }
  close(): number {
    writeSync(this.fd, wavHeader(this.format, this.bytes), 0, 44, 0);
    closeSync(this.fd);
    return this.bytes;
  }
}

/** Records one session into `dir`; resolves with the files written when the session ends. */
export function recordSession(session: RtmsSession, dir: string): Promise<{ path: string; bytes: number }[]> {
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, WavFile>();
  session.on('audio', (frame) => {
    // Mixed audio has userId 0; per-participant audio names the speaker; Contact Center uses channelId.
    const who = frame.channelId ?? (frame.userId === 0 || frame.userId === undefined ? 'mixed' : `${frame.userId}-${frame.userName ?? 'unknown'}`);
    let file = files.get(who);
    if (!file) {
      file = new WavFile(join(dir, `${session.id}-${who.replace(/[^\w.-]+/g, '_')}.wav`), frame.format);
      files.set(who, file);
    }
    file.write(frame.data);
  });
  return session.closed().then(() => [...files.values()].map((f) => ({ path: f.path, bytes: f.close() })));
}

async function main(): Promise<void> {
  const mixed = process.argv.includes('--mixed');
  const dir = process.env['RECORDINGS_DIR'] ?? 'recordings';
  const client = new RtmsClient({ ...exampleCredentials(), media: ['audio'], mediaParams: { audio: { dataOption: mixed ? 'mixed' : 'multi' } } });
  const done: Promise<unknown>[] = [];
  client.on('session', (session) => {
    console.log(`recording ${session.id}`);
    done.push(
      recordSession(session, dir).then((files) => {
        for (const f of files) console.log(`wrote ${f.path} (${f.bytes} bytes of audio)`);
      }),
    );
  });
  const { server, url } = await serveWebhooks(client);
  if (!simulating) {
    console.log(`listening on ${url}`);
    return;
  }
  await simulateMeeting(url, { durationMs: 3_000, transcriptEveryMs: 700 });
  await Promise.all(done);
  await client.close();
  server.close();
}

if (process.argv[1]?.endsWith('record-wav.ts')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
