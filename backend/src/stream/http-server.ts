// The dashboard's HTTP server: health, status and the built UI. Bound to loopback unless told
// otherwise, because flow data (DNS names, URLs, labels) says a lot about a cluster.
import http from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Auth } from './auth.ts';

export const UI_DIR = fileURLToPath(new URL('../../../frontend/dist', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

// The UI never needs inline script, eval or third-party origins; saying so turns an injection
// through a flow field into a blocked request instead of running code.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/**
 * What a route answers: JSON, text of a given type, or text made chunk by chunk as the client
 * reads it (exports of all history, which as one string took seconds and hundreds of MB).
 */
export type RouteResult =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { status?: number; text: string; type: string; headers?: Record<string, string> }
  | { status?: number; chunks: Iterable<string>; type: string; headers?: Record<string, string> };

export interface RouteRequest {
  url: URL;
  /** The parsed JSON body of a POST (undefined for GET). */
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST';
  handle: (req: RouteRequest) => RouteResult | Promise<RouteResult>;
}

/** A request the client got wrong: answered 400 with the message. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

/** Bodies of API calls are small JSON objects; anything bigger is refused unread. */
const MAX_BODY_BYTES = 64 * 1024;

export interface HttpServerOptions {
  host: string;
  port: number;
  uiDir?: string;
  status: () => unknown;
  ready: () => boolean;
  /** Routes under /api/ by exact path. */
  routes?: Record<string, Route>;
  /** Token check; without it everything is open (loopback by default). */
  auth?: Auth;
}

const BASE_URL = 'http://flowlens.invalid';

/**
 * The request target as a URL, or undefined when it does not parse. `new URL` throws on targets
 * such as `http://[`, which Node's HTTP parser lets through; one such request must get a 400,
 * not take the process down with an uncaught exception in the request or upgrade handler.
 */
export function requestUrl(req: http.IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', BASE_URL);
  } catch {
    return undefined;
  }
}

/** What every answer of ours says besides its body: its type, never cached, never sniffed. */
function headers(type: string): http.OutgoingHttpHeaders {
  return { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
}

function send(res: http.ServerResponse, code: number, body: string, type: string): void {
  res.writeHead(code, headers(type));
  res.end(body);
}

/**
 * Writes chunks as the client takes them: the next one is made only once the socket has room,
 * and the event loop serves everyone else between two chunks. A client that leaves stops it.
 */
async function sendChunks(
  res: http.ServerResponse,
  code: number,
  chunks: Iterable<string>,
  type: string,
  head: boolean,
): Promise<void> {
  res.writeHead(code, headers(type));
  if (head) {
    res.end();
    return;
  }
  try {
    for (const chunk of chunks) {
      if (res.destroyed) return;
      const room = res.write(chunk);
      await new Promise<void>((resolve) => {
        if (room) setImmediate(resolve);
        else {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        }
      });
    }
    res.end();
  } catch (err) {
    // The status is sent already: all that is left is to cut the response short.
    res.destroy(err as Error);
  }
}

function sendJson(res: http.ServerResponse, code: number, value: unknown): void {
  send(res, code, JSON.stringify(value), 'application/json; charset=utf-8');
}

async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    req.resume();
    throw new BadRequest('expected a JSON body (content-type: application/json)');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new BadRequest(`body is not JSON: ${(err as Error).message}`);
  }
}

export class HttpServer {
  private readonly server: http.Server;
  private readonly uiDir: string;

  constructor(private readonly opts: HttpServerOptions) {
    this.uiDir = opts.uiDir ?? UI_DIR;
    this.server = http.createServer((req, res) => this.route(req, res));
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        const port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
        resolve({ host: this.opts.host, port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** The underlying server, for the WebSocket upgrade handler. */
  get raw(): http.Server {
    return this.server;
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = requestUrl(req);
    if (!url) return sendJson(res, 400, { error: 'request target is not a valid URL' });
    const auth = this.opts.auth;
    if (auth?.enabled && !auth.isOpen(url.pathname)) {
      const login = req.method === 'GET' ? auth.loginRedirect(url) : undefined;
      if (login) {
        res.writeHead(302, {
          location: login.location,
          'set-cookie': login.cookie,
          'cache-control': 'no-store',
        });
        res.end();
        return;
      }
      if (!auth.allows(req)) {
        if (url.pathname.startsWith('/api/') || url.pathname === '/metrics') {
          sendJson(res, 401, { error: 'this flowlens needs a token: Authorization: Bearer TOKEN' });
        } else {
          send(
            res,
            401,
            'This flowlens dashboard needs a token: open it once as /?token=TOKEN\n',
            'text/plain',
          );
        }
        return;
      }
    }
    const route = this.opts.routes?.[url.pathname];
    if (route) {
      this.serveRoute(route, url, req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
        else res.destroy();
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: `${req.method} is not allowed on ${url.pathname}` });
      return;
    }
    try {
      if (url.pathname === '/healthz') return send(res, 200, 'ok\n', 'text/plain');
      if (url.pathname === '/readyz') {
        const ready = this.opts.ready();
        return send(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready\n', 'text/plain');
      }
      if (url.pathname === '/api/status') return sendJson(res, 200, this.opts.status());
      if (url.pathname.startsWith('/api/')) {
        return sendJson(res, 404, { error: `no such endpoint: ${url.pathname}` });
      }
      this.serveStatic(url.pathname, res);
    } catch (err) {
      sendJson(res, 500, { error: (err as Error).message });
    }
  }

  private async serveRoute(
    route: Route,
    url: URL,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method !== route.method) {
      res.setHeader('allow', route.method);
      return sendJson(res, 405, { error: `${req.method} is not allowed on ${url.pathname}` });
    }
    let body: unknown;
    try {
      if (method === 'POST') body = await readJsonBody(req);
      const out = await route.handle({ url, body });
      const status = out.status ?? 200;
      for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
      if ('json' in out) return sendJson(res, status, out.json);
      if ('chunks' in out) {
        return await sendChunks(res, status, out.chunks, out.type, req.method === 'HEAD');
      }
      return send(res, status, out.text, out.type);
    } catch (err) {
      if (err instanceof BadRequest) return sendJson(res, 400, { error: err.message });
      throw err;
    }
  }

  private serveStatic(pathname: string, res: http.ServerResponse): void {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return send(res, 400, 'malformed path\n', 'text/plain');
    }
    const rel = normalize(decoded).replace(/^([/\\])+/, '');
    let file = join(this.uiDir, rel);
    if (!file.startsWith(this.uiDir + sep) && file !== this.uiDir) {
      return send(res, 404, 'not found\n', 'text/plain');
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(this.uiDir, 'index.html');
    if (!existsSync(file)) {
      return send(res, 503, 'The UI is not built; run `npm run build`.\n', 'text/plain');
    }
    const hashed = /[.-][A-Za-z0-9_-]{8,}\.(js|css|woff2|svg|png)$/.test(file);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      // Vite puts a content hash in asset names, so those never change; index.html always may.
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    // A file that vanishes or cannot be read after the checks above (a rebuild in progress)
    // ends this response; unhandled, the stream's error would end the process.
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }
}
