// The one WebSocket user: connects to /ws, (re)subscribes with the current filter and
// grouping, resumes after a drop with the last sequence number, and hands every message to
// the Dashboard. Reconnects with capped, jittered backoff.
import {
  PROTOCOL_VERSION,
  type ClientMessage,
  type ServerMessage,
} from '../../../backend/src/shared/protocol.ts';
import type { Dashboard, Explanation } from './dashboard.svelte.ts';
import type { Lang } from './i18n.ts';

export interface View {
  filter: string;
  grouping: 'workload' | 'service' | 'pod';
  lang: Lang;
  /** A past window (nanoseconds as decimal strings) instead of live. */
  since?: string;
  until?: string;
}

export class Connection {
  private ws: WebSocket | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  onError: (message: string) => void = () => {};

  constructor(
    private readonly board: Dashboard,
    private view: View,
  ) {}

  start(): void {
    this.closed = false;
    this.open(false);
  }

  stop(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }

  /** A new filter or grouping: a fresh snapshot. */
  setView(view: View): void {
    this.view = view;
    this.board.lastSeq = 0;
    this.subscribe(false);
  }

  explain(flowId: string): void {
    this.send({ type: 'explain', flowId, lang: this.view.lang });
  }

  /**
   * The stream sends status every few seconds; until the first one, the status bar would say
   * "connecting" for sources that are long live, so ask once as the stream opens.
   */
  private async fetchStatus(): Promise<void> {
    try {
      const res = await fetch('/api/status');
      if (res.ok) this.board.setStatus((await res.json()) as Record<string, unknown>);
    } catch {
      // The stream's own status messages follow anyway.
    }
  }

  private send(m: ClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  private subscribe(resume: boolean): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.board.loadingView = true;
    this.send({
      type: 'subscribe',
      v: PROTOCOL_VERSION,
      filter: this.view.filter,
      grouping: this.view.grouping,
      limit: 500,
      ...(this.view.since ? { since: this.view.since } : {}),
      ...(this.view.until ? { until: this.view.until } : {}),
      ...(resume && this.board.lastSeq > 0 && !this.view.until
        ? { resumeAfter: this.board.lastSeq }
        : {}),
    });
  }

  private open(resume: boolean): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.board.stream = { state: 'connecting' };
    ws.onopen = () => {
      this.attempt = 0;
      this.board.stream = { state: 'live' };
      this.subscribe(resume);
      void this.fetchStatus();
    };
    ws.onmessage = (ev: MessageEvent<string>) => this.handle(JSON.parse(ev.data) as ServerMessage);
    ws.onclose = (ev: CloseEvent) => {
      if (this.closed) return;
      const delay = Math.min(30_000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
      this.attempt += 1;
      this.board.stream = {
        state: 'retrying',
        retryAt: Date.now() + delay,
        // 1006 is a closed socket with no close frame: the server went away or the network.
        reason: ev.reason || (ev.code === 1006 ? 'connection lost' : `closed (${ev.code})`),
      };
      this.timer = setTimeout(() => this.open(true), delay);
    };
  }

  private handle(m: ServerMessage): void {
    const b = this.board;
    switch (m.type) {
      case 'snapshot':
        b.live = m.live;
        b.loadingView = false;
        if (m.resumed)
          b.delta(
            m.flows,
            {
              nodes: { added: [], changed: [], removed: [] },
              edges: { added: [], changed: [], removed: [] },
            },
            m.map,
          );
        else b.snapshot(m.flows, m.map);
        break;
      case 'delta':
        b.delta(m.flows, m.map, m.mapSnapshot);
        b.sampleEvery = m.sampleEvery ?? 1;
        break;
      case 'status':
        b.setStatus(m.status as Record<string, unknown>);
        break;
      case 'explanation':
        b.explained(`${this.view.lang}|${m.flowId}`, m.explanation as Explanation);
        break;
      case 'notice':
        b.noticed(m);
        break;
      case 'error':
        this.onError(m.message);
        break;
      default:
        break;
    }
  }
}
