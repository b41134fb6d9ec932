/**
 * Captions: transcript utterances as WebVTT and SRT cues, with speaker names, on the recording's clock.
 */

/** One caption cue, times in ms from the recording's start. */
export interface CaptionCue {
  /** Start, ms from the recording's start (≥ 0). */
  readonly startMs: number;
  /** End, ms from the recording's start (> start). */
  readonly endMs: number;
  /** Speaker's name, when known. */
  readonly speaker: string | undefined;
  /** The text, on one line. */
  readonly text: string;
}

function clock(ms: number, sep: '.' | ','): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor(t / 60_000) % 60;
  const s = Math.floor(t / 1000) % 60;
  const f = t % 1000;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}${sep}${String(f).padStart(3, '0')}`;
}

/** Text on one line: line breaks and other control characters become spaces, runs of spaces collapse. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

function escapeVtt(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The first line of a WebVTT file. */
export const WEBVTT_HEADER = 'WEBVTT\n\n';

/** One WebVTT cue (numbered `n`), with the speaker in a voice span (`<v Name>`); ends with a blank line. */
export function vttCue(n: number, cue: CaptionCue): string {
  const text = escapeVtt(oneLine(cue.text)) || '…';
  const speaker = cue.speaker === undefined ? '' : escapeVtt(oneLine(cue.speaker));
  const body = speaker === '' ? text : `<v ${speaker}>${text}</v>`;
  return `${n}\n${clock(cue.startMs, '.')} --> ${clock(cue.endMs, '.')}\n${body}\n\n`;
}

/** One SRT cue (numbered `n`, from 1), the speaker as a `Name: ` prefix; ends with a blank line. */
export function srtCue(n: number, cue: CaptionCue): string {
  const text = oneLine(cue.text) || '…';
  const speaker = cue.speaker === undefined ? '' : oneLine(cue.speaker);
  return `${n}\n${clock(cue.startMs, ',')} --> ${clock(cue.endMs, ',')}\n${speaker === '' ? text : `${speaker}: ${text}`}\n\n`;
}
