// Timestamps cross three forms: protobuf {seconds, nanos}, RFC3339 text with up to nine
// fractional digits (Hubble's JSON), and bigint nanoseconds (what flowlens compares and sorts).
// A JS number cannot hold nanoseconds since the epoch exactly, hence bigint.

export interface WireTimestamp {
  seconds?: string | number;
  nanos?: number;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const NS_PER_S = 1_000_000_000n;

/** Parses RFC3339 (with optional fraction and offset) to nanoseconds; undefined if malformed. */
export function parseTimeNs(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const fraction = BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  return BigInt(ms) * 1_000_000n + fraction;
}

/**
 * Formats nanoseconds like Go's protojson does: UTC, and 0, 3, 6 or 9 fractional digits,
 * whichever is the shortest that is exact. Hubble's own output follows the same rule, so
 * flows that pass through flowlens print as Hubble would print them.
 */
let lastSeconds: bigint | undefined;
let lastBase = '';
// A GetFlowsResponse carries its time twice, the flow's and the response's, nearly always
// equal: the text made for one is handed out for the other (building it is the cost here).
let lastNs: bigint | undefined;
let lastText = '';

export function formatTimeNs(ns: bigint): string {
  if (ns === lastNs) return lastText;
  lastText = format(ns);
  lastNs = ns;
  return lastText;
}

function format(ns: bigint): string {
  let seconds = ns / NS_PER_S;
  let nanos = ns % NS_PER_S;
  if (nanos < 0n) {
    nanos += NS_PER_S;
    seconds -= 1n;
  }
  // Flows arrive many per second: the date part is formatted once per second, not per flow.
  if (seconds !== lastSeconds) {
    lastBase = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
    lastSeconds = seconds;
  }
  // Joined, not concatenated: V8 keeps a concatenation as a tree of its parts (four heap
  // objects, 130 bytes), and a flow's time lives in history as long as the flow; join makes
  // one flat string (48 bytes) that the collector copies and marks once per pass.
  if (nanos === 0n) return [lastBase, 'Z'].join('');
  let digits = nanos.toString().padStart(9, '0');
  if (digits.endsWith('000000')) digits = digits.slice(0, 3);
  else if (digits.endsWith('000')) digits = digits.slice(0, 6);
  return [lastBase, '.', digits, 'Z'].join('');
}

export function timestampToNs(ts: WireTimestamp): bigint {
  return BigInt(ts.seconds ?? 0) * NS_PER_S + BigInt(ts.nanos ?? 0);
}

export function nsToTimestamp(ns: bigint): { seconds: string; nanos: number } {
  let seconds = ns / NS_PER_S;
  let nanos = ns % NS_PER_S;
  if (nanos < 0n) {
    nanos += NS_PER_S;
    seconds -= 1n;
  }
  return { seconds: seconds.toString(), nanos: Number(nanos) };
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
