// What a failed list or watch means for one resource. Decided here, where the error arrives,
// so the watch loop only sees a verdict: retry the watch, relist, or degrade with a reason.
import { ApiException } from '@kubernetes/client-node';

export type Verdict =
  /** 410 Gone: our resourceVersion (or continue token) is too old; list again. */
  | { kind: 'expired'; message: string }
  /** 403: RBAC does not allow it; other resources carry on. */
  | { kind: 'forbidden'; message: string }
  /** 404: the resource is not served (a CRD that is not installed). */
  | { kind: 'absent'; message: string }
  /** Credentials rejected or the client cannot even form a request: no retry will fix it soon. */
  | { kind: 'failed'; message: string }
  /** Anything transient: connection refused or reset, 5xx, 429, timeouts. */
  | { kind: 'transient'; message: string };

/** A Kubernetes `Status` object as the API server sends it (lists, watch ERROR events). */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

export function isApiStatus(v: unknown): v is ApiStatus {
  return typeof v === 'object' && v !== null && (v as ApiStatus).kind === 'Status';
}

/** The verdict for a `Status` (a watch ERROR event, or the body of a failed request). */
export function verdictForStatus(code: number | undefined, message: string): Verdict {
  if (code === 410) return { kind: 'expired', message };
  if (code === 403) return { kind: 'forbidden', message };
  if (code === 404) return { kind: 'absent', message };
  if (code === 401) return { kind: 'failed', message };
  return { kind: 'transient', message };
}

/** Classifies whatever a list call or client-node's Watch reported. */
export function classify(err: unknown): Verdict {
  if (err instanceof ApiException) {
    const status = parseStatus(err.body);
    const code = typeof err.code === 'number' ? err.code : undefined;
    const detail = status?.message ?? (status?.reason || undefined);
    const message = `HTTP ${code ?? '?'}${detail ? `: ${detail}` : ''}`;
    return verdictForStatus(code, message);
  }
  if (err instanceof Error) {
    // client-node's Watch reports a non-200 response as an Error carrying statusCode, without
    // the body; node-fetch network errors carry an errno-style code.
    const statusCode = (err as { statusCode?: unknown }).statusCode;
    if (typeof statusCode === 'number') {
      return verdictForStatus(statusCode, `HTTP ${statusCode}: ${err.message}`);
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' || err.name === 'FetchError' || err.name === 'AbortError') {
      return { kind: 'transient', message: firstLine(err.message) };
    }
    // Thrown before any request left (e.g. "HTTP protocol is not allowed when skipTLSVerify is
    // not set"), or a body that is not JSON: retrying the same thing gives the same answer.
    return { kind: 'failed', message: firstLine(err.message) };
  }
  return { kind: 'failed', message: String(err) };
}

function parseStatus(body: unknown): ApiStatus | undefined {
  let v = body;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      return undefined;
    }
  }
  return isApiStatus(v) ? v : undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
