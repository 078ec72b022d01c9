// `npm run bench`: runs every bench/*.bench.ts (or the ones named) and prints their figures.
// Benchmarks print numbers; they assert nothing, so a slow machine never fails a build.
// `--quick` shortens every bench (FLOWLENS_BENCH_QUICK=1) for a smoke run; its figures are not
// written to bench/results.json. Each bench runs with a deadline, so none can hang the run.
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBrowser, ensureDeps } from './ensure-deps.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'bench');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => a !== '--quick');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
// Like `npm test`, a fresh machine gets what the benches need: npm packages, and chromium for ui.
ensureDeps();
if (files.some((f) => f.startsWith('ui.'))) ensureBrowser('the UI bench');

/**
 * Microseconds a first touch of a 4 KiB page takes. In this machine's VM it is some 12 µs: a
 * process filling fresh memory (an empty history, a growing heap, a new browser) pays it per
 * page. Printed, and kept with the figures, so runs can be told apart by it.
 */
function pageFaultMicros() {
  const bytes = 64 << 20;
  const before = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  const b = Buffer.allocUnsafeSlow(bytes);
  for (let i = 0; i < bytes; i += 4096) b[i] = 1;
  const faults = process.resourceUsage().minorPageFault - before;
  return faults > 0 ? ((performance.now() - t0) * 1000) / faults : 0;
}

let failed = 0;
const results = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  pageFaultUs: Number(pageFaultMicros().toFixed(2)),
  benches: {},
};
console.log(`${results.machine}; first touch of a memory page ${results.pageFaultUs} µs`);
for (const f of files) {
  console.log(`\n== ${f}`);
  const soakSeconds = Number(process.env.FLOWLENS_BENCH_SOAK_SECONDS ?? (quick ? 60 : 600));
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, ...(quick ? { FLOWLENS_BENCH_QUICK: '1' } : {}) },
    // The soak runs as long as it was told; everything else finishes in a few minutes.
    timeout: (f.startsWith('soak') ? soakSeconds + 300 : 1200) * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.error) console.log(`${f}: ${r.error.message}`);
  process.stdout.write(r.stdout ?? '');
  // Each figure is a line "name   value": kept as printed, beside the machine it came from.
  results.benches[f.replace(/\.bench\.ts$/, '')] = (r.stdout ?? '').split('\n').filter(Boolean);
  if (r.status !== 0) failed += 1;
}
if (wanted.length === 0 && !quick)
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
process.exit(failed ? 1 : 0);
