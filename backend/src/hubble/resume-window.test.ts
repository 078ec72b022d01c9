import { describe, expect, it } from 'vitest';
import { ResumeWindow } from './resume-window.ts';

const ms = (n: number) => BigInt(n) * 1_000_000n;

describe('ResumeWindow', () => {
  it('has no resume point before the first flow', () => {
    expect(new ResumeWindow(ms(2000), 100).resume()).toBeUndefined();
  });

  it('resumes the slack before the newest flow, and rejects flows it has seen', () => {
    const w = new ResumeWindow(ms(2000), 100);
    expect(w.admit('a', ms(10_000))).toBe(true);
    expect(w.admit('b', ms(11_000))).toBe(true);
    expect(w.resume()).toBe(ms(9_000));
    expect(w.admit('a', ms(10_000))).toBe(false);
    expect(w.admit('b', ms(11_000))).toBe(false);
    expect(w.admit('c', ms(10_500))).toBe(true);
    expect(w.admit('d', ms(11_500))).toBe(true);
  });

  it('remembers, at a second resume, what the first resumed stream brought', () => {
    const w = new ResumeWindow(ms(2000), 100);
    w.admit('a', ms(10_000));
    w.resume();
    expect(w.admit('c', ms(9_500))).toBe(true);
    expect(w.resume()).toBe(ms(8_000));
    expect(w.admit('a', ms(10_000))).toBe(false);
    expect(w.admit('c', ms(9_500))).toBe(false);
  });

  it('forgets keys older than the slack, so memory stays bounded by time', () => {
    const w = new ResumeWindow(ms(1000), 100);
    w.admit('old', ms(0));
    w.admit('new', ms(5000));
    w.resume();
    // 'old' is outside the window: a resume never asks for it again, so it is not kept.
    expect(w.admit('old', ms(0))).toBe(true);
  });

  it('keeps at most maxKeys even when every flow is inside the slack', () => {
    const w = new ResumeWindow(ms(60_000), 10);
    for (let i = 0; i < 50; i++) w.admit(`k${i}`, ms(i));
    w.resume();
    expect(w.admit('k0', ms(0))).toBe(true);
    expect(w.admit('k49', ms(49))).toBe(false);
  });

  it('stops looking up keys once the resumed stream is past the sort window', () => {
    const w = new ResumeWindow(ms(2000), 100);
    w.admit('a', ms(10_000));
    w.resume();
    expect(w.admit('z', ms(12_001))).toBe(true);
    // A flow this old no longer comes on a resumed stream; were it to, it is new to this one.
    expect(w.admit('a', ms(10_000))).toBe(true);
  });

  it('recognises UUID keys, kept as bytes, beside keys of any other form', () => {
    const w = new ResumeWindow(ms(2000), 4);
    const a = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const b = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    w.admit(a, ms(10_000));
    w.admit('1785494462|node-a|10.0.0.1', ms(10_100));
    w.admit('0F8FAD5B-D9CB-469F-A165-70867728950E', ms(10_200));
    w.admit(b, ms(10_300));
    w.resume();
    expect(w.admit(a, ms(10_000))).toBe(false);
    expect(w.admit('1785494462|node-a|10.0.0.1', ms(10_100))).toBe(false);
    expect(w.admit('0F8FAD5B-D9CB-469F-A165-70867728950E', ms(10_200))).toBe(false);
    expect(w.admit(b, ms(10_300))).toBe(false);
    expect(w.admit('7c9e6679-7425-40de-944b-e07fc1f90ae8', ms(10_300))).toBe(true);
  });
});
