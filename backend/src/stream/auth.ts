// Who may talk to the dashboard. By default flowlens binds 127.0.0.1 and needs no token; with
// `--token` every API call, the WebSocket and the UI need it — as `Authorization: Bearer`, or
// as the HttpOnly cookie set when the UI is opened once with `?token=`. Health probes stay open.
// WebSocket upgrades must also come from the dashboard's own origin, so a web page elsewhere
// cannot read a user's flows through their browser.
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

export const TOKEN_COOKIE = 'flowlens_token';
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      // A malformed escape is a wrong token, not an exception: this runs outside any try in
      // the request and upgrade handlers, where a throw would end the process.
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export class Auth {
  constructor(private readonly token: string | undefined) {
    if (token !== undefined && token.length < 8) {
      throw new Error('--token must be at least 8 characters');
    }
  }

  get enabled(): boolean {
    return this.token !== undefined;
  }

  isOpen(pathname: string): boolean {
    return OPEN_PATHS.has(pathname);
  }

  /** Whether the request carries the token (always true without one). */
  allows(req: http.IncomingMessage): boolean {
    if (!this.token) return true;
    const h = req.headers.authorization;
    if (h?.startsWith('Bearer ') && safeEqual(h.slice(7).trim(), this.token)) return true;
    const c = cookie(req, TOKEN_COOKIE);
    return c !== undefined && safeEqual(c, this.token);
  }

  /**
   * `GET /any?token=T` with the right token: answers with the cookie and a redirect to the
   * same URL without the token, so it does not linger in the address bar or history.
   */
  loginRedirect(url: URL): { location: string; cookie: string } | undefined {
    const given = url.searchParams.get('token');
    if (!this.token || given === null || !safeEqual(given, this.token)) return undefined;
    const clean = new URL(url.toString());
    clean.searchParams.delete('token');
    return {
      location: clean.pathname + clean.search,
      cookie: `${TOKEN_COOKIE}=${encodeURIComponent(this.token)}; HttpOnly; SameSite=Strict; Path=/`,
    };
  }
}

/** A WebSocket upgrade must come from the page's own origin (or from a non-browser client). */
export function originAllowed(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
