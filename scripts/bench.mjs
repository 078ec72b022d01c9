// `npm run bench`: runs every bench/*.bench.ts (or the ones named) and prints their figures.
// Benchmarks print numbers; they assert nothing, so a slow machine never fails a build.
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'bench');
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
let failed = 0;
const results = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  benches: {},
};
for (const f of files) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  process.stdout.write(r.stdout ?? '');
  // Each figure is a line "name   value": kept as printed, beside the machine it came from.
  results.benches[f.replace(/\.bench\.ts$/, '')] = (r.stdout ?? '').split('\n').filter(Boolean);
  if (r.status !== 0) failed += 1;
}
if (wanted.length === 0)
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
process.exit(failed ? 1 : 0);
