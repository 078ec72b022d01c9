import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReadPacer } from './h2-transport.ts';

function socket() {
  const handle = { readStop: vi.fn(() => 0), readStart: vi.fn(() => 0) };
  return { destroyed: false, _handle: handle as unknown, handle };
}

describe('ReadPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rests a socket after the turn that read from it, then reads again', () => {
    const pacer = new ReadPacer(1);
    const s = socket();
    pacer.onData(s);
    pacer.onData(s);
    // Not within the turn: libuv goes on reading what the kernel holds.
    expect(s.handle.readStop).not.toHaveBeenCalled();
    vi.advanceTimersToNextTimer(); // the turn's end (setImmediate)
    expect(s.handle.readStop).toHaveBeenCalledTimes(1);
    // Data handled while it rests does not make it rest longer.
    pacer.onData(s);
    vi.advanceTimersByTime(1);
    expect(s.handle.readStart).toHaveBeenCalledTimes(1);
    pacer.onData(s);
    vi.runOnlyPendingTimers();
    expect(s.handle.readStop).toHaveBeenCalledTimes(2);
  });

  it('never touches the socket with a pause of 0', () => {
    const pacer = new ReadPacer(0);
    const s = socket();
    pacer.onData(s);
    vi.runAllTimers();
    expect(s.handle.readStop).not.toHaveBeenCalled();
  });

  it('does not read a socket again once it is destroyed or has let go of its handle', () => {
    const pacer = new ReadPacer(1);
    const a = socket();
    pacer.onData(a);
    vi.advanceTimersToNextTimer();
    a.destroyed = true;
    vi.runAllTimers();
    expect(a.handle.readStart).not.toHaveBeenCalled();

    const b = socket();
    pacer.onData(b);
    vi.advanceTimersToNextTimer();
    b._handle = null;
    pacer.wake();
    expect(b.handle.readStart).not.toHaveBeenCalled();
  });

  it('wakes a resting socket at once when asked, and leaves sockets without a handle alone', () => {
    const pacer = new ReadPacer(1000);
    const s = socket();
    pacer.onData(s);
    vi.advanceTimersToNextTimer();
    pacer.wake();
    expect(s.handle.readStart).toHaveBeenCalledTimes(1);
    vi.runAllTimers();
    expect(s.handle.readStart).toHaveBeenCalledTimes(1);

    pacer.onData({ destroyed: false, _handle: {} });
    pacer.onData(undefined);
    expect(() => vi.runAllTimers()).not.toThrow();
  });

  it('survives a socket that refuses to be read (node:http2 after its session let go)', () => {
    const pacer = new ReadPacer(1);
    const refusing = new Proxy(
      {},
      {
        get() {
          throw new Error('ERR_HTTP2_SOCKET_UNBOUND');
        },
      },
    );
    pacer.onData(refusing);
    expect(() => vi.runAllTimers()).not.toThrow();
  });

  it('rests nothing when stopping the handle fails', () => {
    const pacer = new ReadPacer(1);
    const s = socket();
    s.handle.readStop.mockReturnValue(-22);
    pacer.onData(s);
    vi.runAllTimers();
    expect(s.handle.readStart).not.toHaveBeenCalled();
  });
});
