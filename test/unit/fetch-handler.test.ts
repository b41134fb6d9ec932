/**
 * Reading a Fetch Request's body, bounded: a declared length over the limit is refused unread, and a stream
 * that runs past the limit is cancelled there.
 */
import { describe, expect, it } from 'vitest';
import { readBoundedBody, toResponse } from '../../src/fetch-handler.js';

function streamOf(chunks: Uint8Array[]): { stream: ReadableStream<Uint8Array>; pulled: () => number; cancelled: () => boolean } {
  let i = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const c = chunks[i++];
      if (c === undefined) controller.close();
      else controller.enqueue(c);
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, pulled: () => i, cancelled: () => cancelled };
}

const post = (body: ReadableStream<Uint8Array> | string | null, headers: Record<string, string> = {}) =>
  new Request('http://localhost/webhook', { method: 'POST', headers, body, duplex: 'half' } as RequestInit);

describe('readBoundedBody', () => {
  it('reads a body within the limit', async () => {
    const r = await readBoundedBody(post('{"a":1}'), 100);
    expect(r.ok && Buffer.from(r.body).toString()).toBe('{"a":1}');
  });

  it('joins chunks', async () => {
    const s = streamOf([new Uint8Array([1, 2]), new Uint8Array([3])]);
    const r = await readBoundedBody(post(s.stream), 3);
    expect(r.ok && [...r.body]).toEqual([1, 2, 3]);
  });

  it('an empty body is an empty array', async () => {
    const r = await readBoundedBody(post(null), 3);
    expect(r.ok && r.body.byteLength).toBe(0);
  });

  it('refuses a declared content-length over the limit without reading', async () => {
    const s = streamOf([new Uint8Array(10)]);
    const r = await readBoundedBody(post(s.stream, { 'content-length': '1000' }), 100);
    expect(r).toEqual({ ok: false, reason: 'too_large' });
    expect(s.pulled()).toBeLessThanOrEqual(1); // a stream may pre-pull one chunk; nothing is read past it
  });

  it('stops reading at the first chunk past the limit and cancels the stream', async () => {
    const chunk = new Uint8Array(64);
    const s = streamOf(Array.from({ length: 1000 }, () => chunk));
    const r = await readBoundedBody(post(s.stream), 100);
    expect(r).toEqual({ ok: false, reason: 'too_large' });
    expect(s.pulled()).toBeLessThan(5);
    expect(s.cancelled()).toBe(true);
  });

  it('a stream that errors is unreadable, not a throw', async () => {
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('peer reset'));
      },
    });
    expect(await readBoundedBody(post(stream), 100)).toEqual({ ok: false, reason: 'unreadable' });
  });
});

describe('toResponse', () => {
  it('keeps status and headers; HEAD drops the body', async () => {
    const res = toResponse({ status: 401, headers: { 'content-type': 'application/json' }, body: '{"error":"x"}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{"error":"x"}');
    expect(await toResponse({ status: 200, body: '{}' }, true).text()).toBe('');
  });
});
