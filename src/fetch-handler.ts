/**
 * A Web-standard handler: `(request: Request) => Promise<Response>`, for `Bun.serve`, `Deno.serve`, Hono, and
 * anything else built on the Fetch API. It reads the raw body from the Request itself, bounded: a declared
 * `content-length` over the limit is refused before reading, and the read stops at the first byte past it.
 */
import type { WebhookRequest, WebhookResponse } from './client.js';
import type { HealthResponseOptions } from './health.js';

/** Options of `client.fetchHandler()`. */
export interface FetchHandlerOptions {
  /** Answer GET and HEAD with the health answer (200/503 and a small JSON body). Default true; false hands them to the webhook path. */
  health?: boolean;
  /** Passed to the health answer: 503 while a shared coordinator's store does not answer. Default false. */
  requireCoordinator?: boolean;
}

/** A Fetch API request handler. Never rejects. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** @internal What the handler needs from its client. */
export interface FetchHandlerHost {
  readonly maxBodyBytes: number;
  health(options: HealthResponseOptions): WebhookResponse;
  webhook(request: WebhookRequest): Promise<WebhookResponse>;
  tooLarge(): WebhookResponse;
  unreadable(): WebhookResponse;
}

/** @internal What reading a body gave. */
export type BodyRead = { readonly ok: true; readonly body: Uint8Array } | { readonly ok: false; readonly reason: 'too_large' | 'unreadable' };

/**
 * @internal Reads a request's body, at most `maxBytes`: refused at once when `content-length` says more, and
 * the stream cancelled at the first chunk that goes past. Never rejects.
 */
export async function readBoundedBody(request: Request, maxBytes: number): Promise<BodyRead> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > maxBytes) {
    await cancel(request.body);
    return { ok: false, reason: 'too_large' };
  }
  const stream = request.body;
  if (stream === null) return { ok: true, body: new Uint8Array(0) };
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = stream.getReader();
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, reason: 'unreadable' };
      }
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, reason: 'too_large' };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: 'unreadable' };
  } finally {
    try {
      reader.releaseLock();
    } catch {
      // already released
    }
  }
  if (chunks.length === 1) return { ok: true, body: chunks[0]! };
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return { ok: true, body };
}

async function cancel(stream: ReadableStream<Uint8Array> | null): Promise<void> {
  if (stream === null) return;
  try {
    await stream.cancel();
  } catch {
    // a locked or errored stream: nothing more to do
  }
}

/** @internal A {@link WebhookResponse} as a Fetch `Response`; `head` drops the body. */
export function toResponse(res: WebhookResponse, head = false): Response {
  return new Response(head || res.body === '' ? null : res.body, { status: res.status, headers: res.headers ?? {} });
}

/** @internal Builds the handler over a client's {@link FetchHandlerHost}. */
export function createFetchHandler(host: FetchHandlerHost, options: FetchHandlerOptions = {}): FetchHandler {
  const health = options.health !== false;
  const requireCoordinator = options.requireCoordinator === true;
  return async (request: Request): Promise<Response> => {
    try {
      const method = request.method.toUpperCase();
      if (health && (method === 'GET' || method === 'HEAD')) {
        const head = method === 'HEAD';
        return toResponse(host.health({ requireCoordinator, head }), head);
      }
      const read = await readBoundedBody(request, host.maxBodyBytes);
      if (!read.ok) return toResponse(read.reason === 'too_large' ? host.tooLarge() : host.unreadable());
      return toResponse(await host.webhook({ headers: request.headers, body: read.body }));
    } catch {
      // The host never throws; a Request that is not one (no headers, no method) lands here.
      return new Response(JSON.stringify({ error: 'RTMS_INTERNAL_ERROR', message: 'internal error' }), { status: 500, headers: { 'content-type': 'application/json' } });
    }
  };
}
