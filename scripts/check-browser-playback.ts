/**
 * Plays the recorder's MP4 files in a real browser: headless Chromium (Debian's `chromium` package), muted, in
 * real time, to the end. Passes when every file plays to its end with its video frames decoded, none dropped, and
 * its audio track decoded (unless the file has none).
 *
 *   npm run check:browser                       # records the demo's meeting, then plays its MP4s
 *   npm run check:browser -- a.mp4 b.mp4        # plays these files
 *   CHROMIUM=/path/to/chrome npm run check:browser
 *
 * Not part of `npm test` or CI (a browser is a large install for one check); docs/media.md gives the result of the
 * last run. Needs: `apt-get install chromium` (or any Chrome/Chromium build with H.264).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const browser = process.env['CHROMIUM'] ?? 'chromium';

function fail(message: string): never {
  console.error(`check-browser-playback: ${message}`);
  process.exit(1);
}

try {
  execFileSync(browser, ['--version'], { stdio: 'ignore' });
} catch {
  fail(`no browser at '${browser}': apt-get install chromium, or set CHROMIUM`);
}

let files = process.argv.slice(2).map((f) => resolve(f));
let scratch: string | undefined;
if (files.length === 0) {
  scratch = mkdtempSync(join(tmpdir(), 'rtms-browser-'));
  console.log('== recording the demo meeting');
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(root, 'examples', 'demo.ts')], {
    cwd: root,
    env: { ...process.env, DEMO_RECORDINGS_DIR: scratch },
    encoding: 'utf8',
    timeout: 120_000,
  });
  files = [...out.matchAll(/(\S+\.mp4)/g)].map((m) => m[1] as string);
  if (files.length === 0) fail('the demo wrote no MP4 (is mediabunny installed?)');
}

// Each file must be played in real time: the page holds its load event (and so --dump-dom) on an image that the
// server answers only after every file has had time to play to its end.
const seconds = (f: string) => statSync(f).size; // only to fail early on a missing file
files.forEach(seconds);
const waitMs = files.length * 14_000 + 2_000;
const page = `<!doctype html><html><body><pre id="out">pending</pre><script>
const lines = [];
async function check(name) {
  const v = document.createElement('video');
  v.muted = true;
  v.src = name;
  document.body.appendChild(v);
  const r = await new Promise((res) => { v.onerror = () => res('error ' + (v.error && v.error.message)); v.oncanplay = () => res('ok'); setTimeout(() => res('no canplay in 5 s'), 5000); });
  if (r !== 'ok') { lines.push(JSON.stringify({ name, error: r })); return; }
  await v.play();
  const ended = await new Promise((res) => { v.onended = () => res(true); setTimeout(() => res(false), Math.max(8000, v.duration * 1000 + 3000)); });
  const q = v.getVideoPlaybackQuality();
  lines.push(JSON.stringify({ name, ended, currentTime: v.currentTime, duration: v.duration, width: v.videoWidth, height: v.videoHeight,
    framesDecoded: q.totalVideoFrames, framesDropped: q.droppedVideoFrames, audioBytes: v.webkitAudioDecodedByteCount }));
}
(async () => { for (const f of ${JSON.stringify(files.map((_, i) => `/f/${i}.mp4`))}) await check(f); document.getElementById('out').textContent = lines.join('\\n'); })();
</script><img src="/wait"></body></html>`;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    return;
  }
  if (url.pathname === '/wait') {
    setTimeout(() => res.writeHead(200, { 'content-type': 'image/gif' }).end(), waitMs);
    return;
  }
  const m = /^\/f\/(\d+)\.mp4$/.exec(url.pathname);
  const file = m ? files[Number(m[1])] : undefined;
  if (file === undefined) {
    res.writeHead(404).end();
    return;
  }
  const data = readFileSync(file);
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
    res.writeHead(206, { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${data.length}` });
    res.end(data.subarray(start, end + 1));
    return;
  }
  res.writeHead(200, { 'content-type': 'video/mp4', 'accept-ranges': 'bytes' }).end(data);
});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
const { port } = server.address() as AddressInfo;
const profile = mkdtempSync(join(tmpdir(), 'rtms-chromium-'));
const version = execFileSync(browser, ['--version'], { encoding: 'utf8' }).trim();
console.log(`== playing ${files.length} file(s) in ${version}, headless, in real time`);
const dom = await new Promise<string>((ok, ko) => {
  const child = spawn(browser, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required', `--user-data-dir=${profile}`,
    '--dump-dom', `http://127.0.0.1:${port}/`,
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), waitMs + 60_000);
  child.on('error', ko);
  child.on('close', () => (clearTimeout(timer), ok(out)));
});
server.close();
rmSync(profile, { recursive: true, force: true });

const pre = /<pre id="out">([\s\S]*?)<\/pre>/.exec(dom)?.[1] ?? '';
const results = pre.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as Record<string, unknown>);
if (results.length !== files.length) fail(`the page reported ${results.length} of ${files.length} files: ${pre.slice(0, 300) || 'nothing'}`);
let failed = 0;
results.forEach((r, i) => {
  const name = basename(files[i]!);
  const ok = r['error'] === undefined && r['ended'] === true && Number(r['framesDecoded']) > 0 && r['framesDropped'] === 0 && Number(r['audioBytes']) > 0;
  if (!ok) failed++;
  const line = r['error'] !== undefined
    ? `${name}: ${String(r['error'])}`
    : `${name}: ${r['ended'] === true ? 'played to the end' : 'did NOT reach its end'} at ${Number(r['currentTime']).toFixed(2)} s of ${Number(r['duration']).toFixed(2)} s, ${String(r['width'])}x${String(r['height'])}, ${String(r['framesDecoded'])} video frames decoded, ${String(r['framesDropped'])} dropped, ${String(r['audioBytes'])} audio bytes decoded`;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${line}`);
});
if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
if (failed > 0) fail(`${failed} file(s) did not play`);
console.log('== every file played in the browser');
