import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { printCaptions, caption } from '../../examples/captions/print-captions.js';
import { recordSession } from '../../examples/recorder/record-wav.js';
import { wavHeader } from '../../src/index.js';
import { rig, until } from '../helpers.js';

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rtms-rec-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('wavHeader', () => {
  it('writes a valid RIFF/WAVE PCM header', () => {
    const h = wavHeader({ codec: 'L16', sampleRate: 16000, channels: 1, contentType: 'raw' }, 640);
    expect(h.length).toBe(44);
    expect(h.toString('ascii', 0, 4)).toBe('RIFF');
    expect(h.readUInt32LE(4)).toBe(36 + 640);
    expect(h.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(h.readUInt16LE(20)).toBe(1); // PCM
    expect(h.readUInt32LE(24)).toBe(16000);
    expect(h.readUInt32LE(28)).toBe(32000); // byte rate
    expect(h.readUInt16LE(34)).toBe(16);
    expect(h.readUInt32LE(40)).toBe(640);
    expect(wavHeader({ codec: 'G711', sampleRate: 8000, channels: 1, contentType: 'raw' }, 0).readUInt16LE(20)).toBe(6);
    expect(() => wavHeader({ codec: 'OPUS', sampleRate: 48000, channels: 2, contentType: 'raw' }, 0)).toThrow(/WAV holds/);
  });
});

describe('recipes against the simulator', () => {
  it('the recorder writes one playable WAV per speaker with every byte received', async () => {
    const dir = tmp();
    const r = await rig({ media: ['audio'], mediaParams: { audio: { dataOption: 'multi' } } });
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const files = recordSession(res.session!, dir);
    let bytes = 0;
    res.session!.on('audio', (a) => (bytes += a.data.length));
    await stream.ready();
    await stream.playMeeting({ durationMs: 600, transcriptEveryMs: 150, audioFrameMs: 20 });
    await r.client.handleWebhook(stream.webhook('stopped'));
    const written = await files;
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(written.reduce((n, f) => n + f.bytes, 0)).toBe(bytes);
    for (const f of written) {
      const wav = readFileSync(f.path);
      expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
      expect(wav.readUInt32LE(40)).toBe(f.bytes);
      expect(wav.length).toBe(44 + f.bytes);
    }
  });

  it('the caption printer prints every transcript with its speaker', async () => {
    const r = await rig({ media: ['transcript'] });
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const lines: string[] = [];
    const printed = printCaptions(res.session!, (l) => lines.push(l));
    await stream.ready();
    await until(() => res.session!.state === 'streaming');
    stream.sendTranscript({ userName: 'Ada', text: 'first' });
    stream.sendTranscript({ userName: 'Grace', text: 'second' });
    await until(() => lines.length === 2);
    await res.session!.stop();
    expect(await printed).toBe(2);
    expect(lines[0]).toMatch(/Ada\s+first$/);
    expect(caption(0, 61_000, 'X', 'y')).toBe('[01:01] X              y');
  });

  it.each([
    ['examples/recorder/record-wav.ts', /wrote .*\.wav/],
    ['examples/captions/print-captions.ts', /Ada Lovelace\s+Good morning/],
    ['examples/node-http/server.ts', /ended: stopped/],
  ])('%s --simulate runs with one command and exits 0', (file, expected) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', file, '--simulate'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DURATION_MS: '1500', RECORDINGS_DIR: tmp() },
    });
    expect(out).toMatch(expected);
  });
});
