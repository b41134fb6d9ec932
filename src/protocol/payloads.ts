/**
 * Pure readers for payload details the codec leaves as received: base64 media data, participants in
 * EVENT_UPDATE bodies, and Contact Center `participant_info`. None throws.
 */
import type { ContactCenterParticipant, Participant, UserId } from '../events.js';

/** Decoded length implied by a base64 string (padding and unpadded forms). */
function base64Length(s: string): number {
  const n = s.length;
  const pad = n > 0 && s.charCodeAt(n - 1) === 61 ? (n > 1 && s.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  return Math.floor((n * 3) / 4) - pad;
}

/**
 * Decodes base64, or returns undefined when the string holds characters outside the alphabet (Node would skip
 * them silently and hand out corrupt bytes). The check is a length comparison, not a scan.
 */
export function decodeBase64(s: string): Buffer | undefined {
  const buf = Buffer.from(s, 'base64');
  return buf.length === base64Length(s) && s.length % 4 !== 1 ? buf : undefined;
}

/** The value if it is a string. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The value if it is a user id (a finite number or a string). */
export function uid(v: unknown): UserId | undefined {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? v : undefined;
}

/** `participants: [{ user_id, user_name }]`, or a top-level `user_id`/`user_name` (RS-JS tolerates both, §3.8). */
export function readParticipants(ev: Readonly<Record<string, unknown>>): Participant[] {
  const list = ev['participants'];
  const out: Participant[] = [];
  if (Array.isArray(list)) {
    for (const p of list) {
      if (typeof p !== 'object' || p === null) continue;
      const o = p as Record<string, unknown>;
      const id = uid(o['user_id']);
      if (id !== undefined) out.push({ userId: id, userName: str(o['user_name']) });
    }
  } else {
    const id = uid(ev['user_id']);
    if (id !== undefined) out.push({ userId: id, userName: str(ev['user_name']) });
  }
  return out;
}

/** A Contact Center event's `participant_info` (ZCC-S misspells it `paticipant_info`: both are read, §3.8). */
export function readZccParticipant(ev: Readonly<Record<string, unknown>>): ContactCenterParticipant | undefined {
  const raw = ev['participant_info'] ?? ev['paticipant_info'];
  if (typeof raw !== 'object' || raw === null) return undefined;
  const info = raw as Record<string, unknown>;
  const userId = info['user_id'];
  return {
    channelId: str(info['channel_id']),
    participantMode: str(info['participant_mode']),
    userId: str(userId) ?? (typeof userId === 'number' ? String(userId) : undefined),
    displayName: str(info['display_name']),
    phoneNumber: str(info['phone_number']),
    queueId: str(info['queue_id']),
    queueName: str(info['queue_name']),
  };
}

/** An event's time: `timestamp`, or `event_ts` as Contact Center bodies name it. */
export function eventTimestamp(ev: Readonly<Record<string, unknown>>): number | undefined {
  const ts = ev['timestamp'] ?? ev['event_ts'];
  return typeof ts === 'number' ? ts : undefined;
}
