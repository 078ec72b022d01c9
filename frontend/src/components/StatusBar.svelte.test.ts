import { render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { describe, expect, it } from 'vitest';
import { Dashboard } from '../lib/dashboard.svelte.ts';
import { TEXT } from '../lib/i18n.ts';
import StatusBar from './StatusBar.svelte';

describe('StatusBar', () => {
  it('shows each connection with its reason and retry timer, and the flow rate', () => {
    const board = new Dashboard();
    board.setStatus(
      {
        mode: 'live',
        hubble: {
          state: 'retrying',
          lastError: '14 UNAVAILABLE: <b>no</b> connection',
          retryInMs: 3000,
          flowsPerSecond: 41.6,
        },
        kubernetes: { state: 'synced', resources: [] },
      },
      10_000,
    );
    board.stream = { state: 'retrying', retryAt: 20_000, reason: 'connection lost' };
    const { container } = render(StatusBar, { board, t: TEXT.en, now: 11_000 });
    expect(screen.getByTestId('hubble-state').dataset['health']).toBe('bad');
    expect(screen.getByTestId('hubble-retry').textContent).toContain('retry in 2s');
    expect(screen.getByTestId('hubble-reason').textContent).toContain(
      '14 UNAVAILABLE: <b>no</b> connection',
    );
    expect(container.querySelector('b')).toBeNull();
    expect(screen.getByTestId('kubernetes-state').textContent).toContain('Kubernetes: synced');
    expect(screen.getByTestId('kubernetes-state').dataset['health']).toBe('ok');
    expect(screen.getByTestId('stream-retry').textContent).toContain('retry in 9s');
    expect(screen.getByTestId('stream-reason').textContent).toContain('connection lost');
    expect(screen.getByTestId('rate').textContent).toBe('42 flows/s');
  });

  it('says while a new view is loading, until its snapshot comes', async () => {
    const board = new Dashboard();
    board.loadingView = true;
    render(StatusBar, { board, t: TEXT.ko, now: 0 });
    expect(screen.getByTestId('loading-view').textContent).toContain('불러오는 중');
    board.snapshot([], { nodes: [], edges: [] });
    await tick();
    expect(screen.queryByTestId('loading-view')).toBeNull();
  });

  it('says when the server thins the stream, in Korean too', () => {
    const board = new Dashboard();
    board.noticed({
      type: 'notice',
      level: 'warn',
      code: 'sampling',
      message: 'm',
      sampleEvery: 4,
    });
    render(StatusBar, { board, t: TEXT.ko, now: 0 });
    expect(screen.getByTestId('sampling').textContent).toContain('4개 중 1개');
    expect(screen.getByTestId('hubble-state').textContent).toContain('연결 중');
  });

  it('says when history has a gap', () => {
    const board = new Dashboard();
    board.noticed({ type: 'notice', level: 'warn', code: 'history-gap', message: 'm' });
    render(StatusBar, { board, t: TEXT.en, now: 0 });
    expect(screen.getByTestId('history-gap').textContent).toMatch(/no longer in history/);
  });
});
