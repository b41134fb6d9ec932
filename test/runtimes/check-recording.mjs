/**
 * Checks the files `npm run demo` recorded (rtms-client/media's recordSession) under another runtime: run by
 * scripts/check-runtimes.sh under Node, on the directory the demo wrote to under Bun or Deno.
 *
 *   node test/runtimes/check-recording.mjs <dir> <expected seconds> [mp4]
 *
 * Every WAV is RIFF/WAVE, 16-bit PCM, mono, 16 kHz, with a data chunk that runs to the end of the file and holds
 * about the expected duration (at least half of it: the meeting's first and last moments may be silent) and not
 * only zeros; there is a mixed WAV and at least one per speaker; the WebVTT file has at least one cue; every chat
 * line is JSON with text. With `mp4` (the optional mediabunny was installed), the video and share MP4s must be there:
 * ISO BMFF (`ftyp` first), and, where ffprobe is on PATH (CI installs it), an H.264 video stream with frames and
 * an audio stream. Exit code 0 when every check passed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [dir, secondsArg, mp4Arg] = process.argv.slice(2);
if (dir === undefined) {
  console.log('usage: check-recording.mjs <dir> <expected seconds>');
  process.exit(2);
}
const expectedSeconds = Number(secondsArg ?? '1');
let failed = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed++;
}

function checkWav(path) {
  const b = readFileSync(path);
  const problems = [];
  if (b.length < 44 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') return ['not RIFF/WAVE'];
  if (b.readUInt32LE(4) !== b.length - 8) problems.push(`RIFF size ${b.readUInt32LE(4)} for a ${b.length}-byte file`);
  let at = 12;
  let fmt;
  let data;
  while (at + 8 <= b.length) {
    const id = b.toString('latin1', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') fmt = { format: b.readUInt16LE(at + 8), channels: b.readUInt16LE(at + 10), rate: b.readUInt32LE(at + 12), bits: b.readUInt16LE(at + 22) };
    if (id === 'data') {
      data = { start: at + 8, size };
      break;
    }
    at += 8 + size + (size % 2);
  }
  if (fmt === undefined || fmt.format !== 1 || fmt.channels !== 1 || fmt.rate !== 16000 || fmt.bits !== 16) problems.push(`format ${JSON.stringify(fmt)}`);
  if (data === undefined) return [...problems, 'no data chunk'];
  if (data.start + data.size !== b.length) problems.push(`data chunk of ${data.size} bytes at ${data.start} in a ${b.length}-byte file`);
  const seconds = data.size / 32000;
  if (seconds < expectedSeconds / 2 || seconds > expectedSeconds * 2) problems.push(`${seconds.toFixed(2)} s of audio for a ${expectedSeconds} s meeting`);
  let nonZero = 0;
  for (let i = data.start; i + 1 < b.length; i += 2) if (b.readInt16LE(i) !== 0) nonZero++;
  if (nonZero === 0) problems.push('only silence');
  return problems;
}

const files = readdirSync(dir);
const wavs = files.filter((f) => f.endsWith('.wav'));
check(wavs.some((f) => f.includes('mixed')) && wavs.some((f) => f.includes('user')), `a mixed WAV and per-speaker WAVs: ${wavs.join(', ')}`);
for (const f of wavs) {
  const problems = checkWav(join(dir, f));
  check(problems.length === 0, `${f}: ${problems.length === 0 ? 'valid 16 kHz mono L16, not silent, duration as expected' : problems.join('; ')}`);
}
const vtt = files.find((f) => f.endsWith('.vtt'));
const vttText = vtt === undefined ? '' : readFileSync(join(dir, vtt), 'utf8');
check(vttText.startsWith('WEBVTT') && / --> /.test(vttText), `captions: ${vtt ?? 'no .vtt file'}`);
const chat = files.find((f) => f.endsWith('.jsonl'));
const chatLines = chat === undefined ? [] : readFileSync(join(dir, chat), 'utf8').split('\n').filter((l) => l !== '');
let chatOk = chatLines.length > 0;
for (const line of chatLines) {
  try {
    chatOk &&= typeof JSON.parse(line).text === 'string';
  } catch {
    chatOk = false;
  }
}
check(chatOk, `chat: ${chatLines.length} JSON line(s) with text`);
const mp4s = files.filter((f) => f.endsWith('.mp4'));
if (mp4Arg === 'mp4') {
  check(mp4s.some((f) => f.includes('video')) && mp4s.some((f) => f.includes('share')), `video and share MP4s: ${mp4s.join(', ') || 'none'}`);
}
const ffprobe = spawnSync('ffprobe', ['-version'], { encoding: 'utf8' }).status === 0;
const ci = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
if (mp4s.length > 0 && !ffprobe) {
  if (ci) check(false, 'ffprobe is not on PATH: in CI the MP4s must be checked with it (.ci/run installs ffmpeg)');
  else console.log('!!!!!!!! ffprobe is not on PATH: the MP4s are checked as ISO BMFF only, not their streams (a failure with CI=true) !!!!!!!!');
}
for (const f of mp4s) {
  const b = readFileSync(join(dir, f));
  const problems = [];
  if (b.length < 16 || b.toString('latin1', 4, 8) !== 'ftyp') problems.push('no ftyp box first');
  if (ffprobe) {
    const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,codec_name,width,height,nb_read_frames', '-of', 'json', join(dir, f)], { encoding: 'utf8' });
    try {
      const streams = JSON.parse(probe.stdout).streams ?? [];
      const video = streams.find((st) => st.codec_type === 'video');
      if (video?.codec_name !== 'h264' || !(video.width > 0) || !(Number(video.nb_read_frames) > 0)) problems.push(`video stream ${JSON.stringify(video)}`);
      if (!streams.some((st) => st.codec_type === 'audio')) problems.push('no audio stream');
    } catch {
      problems.push(`ffprobe could not read it: ${probe.stderr.trim().slice(0, 200)}`);
    }
  }
  check(problems.length === 0, `${f}: ${problems.length === 0 ? `ISO BMFF${ffprobe ? ', H.264 video with frames and audio (ffprobe)' : ' (no ffprobe on PATH: streams not checked)'}` : problems.join('; ')}`);
}
console.log(`recording in ${dir}: ${failed === 0 ? 'valid' : `${failed} check(s) failed`}`);
process.exitCode = failed === 0 ? 0 : 1;
