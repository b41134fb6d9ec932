/**
 * Serves an App Router route handler (`POST(request: Request): Promise<Response>`) on plain node:http: what
 * Next.js does for the route, minus Next.js. Used by `simulate.ts` and the tests to run the route without a Next
 * build; your Next.js app does not need this file.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';

/** The part of a route module this adapter serves. */
export interface RouteModule {
  POST(request: Request): Promise<Response>;
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/** An http.Server (not yet listening) that routes `POST <path>` to `route.POST` and answers 404 elsewhere. */
export function routeServer(route: RouteModule, path: string): Server {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    if (req.method !== 'POST' || url.pathname !== path) {
      res.writeHead(req.method === 'POST' ? 404 : 405).end();
      return;
    }
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const request = new Request(url, { method: 'POST', headers: toHeaders(req), body: Buffer.concat(chunks) });
      const response = await route.POST(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      if (!res.headersSent) res.writeHead(500);
      res.end();
      console.error('route handler failed:', err);
    }
  });
}
