// What the status bar shows for each connection — Hubble, Kubernetes, the browser's stream —
// read from /api/status (as the stream's status messages carry it) and the Connection's state.
// Pure, so the wording rules are tested without a browser.
import type { StreamState } from './dashboard.svelte.ts';

export type Health = 'ok' | 'pending' | 'bad' | 'off';

export interface Indicator {
  id: 'hubble' | 'kubernetes' | 'stream';
  /** The source's own state word (live, synced, retrying, …). */
  state: string;
  health: Health;
  /** Why it is not fine, when the source says. */
  reason?: string;
  /** Epoch ms of the next attempt, while one is scheduled. */
  retryAt?: number;
}

interface HubbleStatus {
  state?: string;
  lastError?: string | null;
  retryInMs?: number;
}

interface KubeStatus {
  state?: string;
  lastError?: string;
  resources?: { retryInMs?: number }[];
}

const HEALTH: Record<string, Health> = {
  live: 'ok',
  synced: 'ok',
  connecting: 'pending',
  syncing: 'pending',
  retrying: 'bad',
  degraded: 'bad',
  failed: 'bad',
  stopped: 'off',
  disabled: 'off',
};

export function indicators(
  status: Record<string, unknown> | undefined,
  statusAt: number,
  stream: StreamState,
): Indicator[] {
  const h = (status?.['hubble'] as HubbleStatus | undefined) ?? {};
  const k = (status?.['kubernetes'] as KubeStatus | undefined) ?? {};
  const out: Indicator[] = [];
  const hubble: Indicator = {
    id: 'hubble',
    state: h.state ?? 'connecting',
    health: HEALTH[h.state ?? 'connecting'] ?? 'pending',
  };
  if (h.lastError) hubble.reason = h.lastError;
  if (typeof h.retryInMs === 'number') hubble.retryAt = statusAt + h.retryInMs;
  out.push(hubble);
  const kube: Indicator = {
    id: 'kubernetes',
    state: k.state ?? 'connecting',
    health: HEALTH[k.state ?? 'connecting'] ?? 'pending',
  };
  if (k.lastError) kube.reason = k.lastError;
  // The soonest retry of any resource is when the picture can next change.
  const waits = (k.resources ?? []).map((r) => r.retryInMs).filter((n) => typeof n === 'number');
  if (waits.length > 0) kube.retryAt = statusAt + Math.min(...(waits as number[]));
  out.push(kube);
  const s: Indicator = {
    id: 'stream',
    state: stream.state,
    health: stream.state === 'live' ? 'ok' : stream.state === 'retrying' ? 'bad' : 'pending',
  };
  if (stream.state === 'retrying') {
    s.reason = stream.reason;
    s.retryAt = stream.retryAt;
  }
  out.push(s);
  return out;
}

/** Whole seconds until `at`, never negative. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}
