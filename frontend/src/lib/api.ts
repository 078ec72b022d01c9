// The HTTP calls behind the detail views (the stream itself is connection.ts's alone). Each
// returns data or throws an Error whose message is the server's reason.
import type { EnrichedFlow } from '../../../backend/src/enrich/types.ts';
import type { PolicyText } from '../../../backend/src/policy/core/policy-yaml.ts';

export type { PolicyText };

export interface RawFlow {
  seq: number;
  flow: EnrichedFlow;
  /** The `hubble observe -o json` object the flow came from. */
  hubble: unknown;
}

export interface ReplayState {
  played: number;
  total: number;
  loops: number;
  /** A factor of the recorded pace, or "max" (all at once). */
  speed: number | 'max';
  done: boolean;
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

/** A policy by kind (optional) and `ns/name` or clusterwide `name`. */
export async function fetchPolicy(name: string, kind?: string): Promise<PolicyText> {
  const q = new URLSearchParams({ name });
  if (kind) q.set('kind', kind);
  return answer<PolicyText>(await fetch(`/api/policy?${q}`));
}

export async function fetchRawFlow(id: string): Promise<RawFlow> {
  return answer<RawFlow>(await fetch(`/api/flow?${new URLSearchParams({ id })}`));
}

export async function fetchReplay(): Promise<ReplayState> {
  return answer<ReplayState>(await fetch('/api/replay'));
}

export async function setReplaySpeed(speed: number | 'max'): Promise<ReplayState> {
  return answer<ReplayState>(
    await fetch('/api/replay/speed', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ speed }),
    }),
  );
}
