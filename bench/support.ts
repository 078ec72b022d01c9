// Tiny timing helpers for bench/*.bench.ts: median of several runs, printed in a fixed format.
import { performance } from 'node:perf_hooks';

export function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

/** Runs `fn` `iterations` times per sample and reports the median per-iteration cost. */
export function measure(
  name: string,
  iterations: number,
  fn: (i: number) => void,
  samples = 5,
): number {
  const perIter: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) fn(i);
    perIter.push((performance.now() - t0) / iterations);
  }
  perIter.sort((a, b) => a - b);
  const median = perIter[Math.floor(perIter.length / 2)]!;
  report(name, median);
  return median;
}

export function report(name: string, ms: number): void {
  const shown = ms >= 1 ? `${ms.toFixed(1)} ms` : `${(ms * 1000).toFixed(2)} µs`;
  console.log(`${name.padEnd(60)} ${shown}`);
}

export function heapMiB(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}
