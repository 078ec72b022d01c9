// Processes and figures for the end-to-end benches: the fixed-rate load source, the flowlens
// dashboard in its own process, their CPU and RSS from /proc, percentiles, and the one line
// format every figure is printed in (name, value, and the target or baseline beside it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** `scripts/bench.mjs --quick` sets this: every bench shortens its phases for a smoke run. */
export const QUICK = process.env['FLOWLENS_BENCH_QUICK'] === '1';

const children = new Set<ChildProcess>();
function killAll(): void {
  for (const p of children) {
    try {
      if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}
// A bench that throws or is interrupted must not leave a 20,000 flows/s source running.
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Resolves with the first match of `re` in the child's stdout+stderr. */
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
  output: () => string;
  stop: () => void;
}

/** Runs a TypeScript entry point (or `-e` code) under tsx in its own process group. */
export function spawnTs(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    detached: true,
    // stdin stays a pipe: the load source exits when it closes, i.e. when this process dies.
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, KUBECONFIG: '/nonexistent', HUBBLE_ADDR: '', PORT: '', HOST: '' },
  });
  children.add(proc);
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    // Only the recent output matters to waiters; a long soak must not grow this string.
    if (out.length > 1 << 20) out = out.slice(-(1 << 16));
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const waitFor = (re: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (m) {
          done();
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${re} within ${timeoutMs} ms:\n${out.slice(-2000)}`));
      }, timeoutMs);
      const exited = () => {
        done();
        reject(new Error(`exited before ${re}:\n${out.slice(-2000)}`));
      };
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
        proc.off('exit', exited);
      };
      listeners.add(check);
      proc.once('exit', exited);
      check();
    });
  const stop = () => {
    children.delete(proc);
    try {
      process.kill(-proc.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  return { proc, pid: proc.pid!, waitFor, output: () => out, stop };
}

export interface LoadSource extends Child {
  address: string;
  /** Flows sent and skipped (lost) so far, and ms since the source started. */
  progress: () => { sent: number; lost: number; ms: number };
}

export async function startLoadSource(rate: number, maxSeconds: number): Promise<LoadSource> {
  const c = spawnTs([
    'bench/load-server.ts',
    '--rate',
    String(rate),
    '--max-seconds',
    String(maxSeconds),
  ]);
  const m = await c.waitFor(/"listening":"([\d.]+:\d+)"/);
  const progress = () => {
    const lines = c.output().trim().split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      if (lines[i]!.startsWith('{"sent"')) {
        return JSON.parse(lines[i]!) as { sent: number; lost: number; ms: number };
      }
    }
    return { sent: 0, lost: 0, ms: 0 };
  };
  return { ...c, address: m[1]!, progress };
}

export interface Dashboard extends Child {
  /** host:port of the HTTP server. */
  base: string;
}

/**
 * The backend compiled by tsc into backend/dist, as `npm run build` ships it and
 * `bin/flowlens.js` runs it. Figures taken under tsx would include its per-closure `__name`
 * helper, a tenth of the CPU on the stream's hot path. Rebuilt when any backend source is
 * newer; FLOWLENS_BENCH_TSX=1 runs the sources instead.
 */
const BUILT = join(ROOT, 'backend', 'dist');
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}
let checked: { cli: string | undefined } | undefined;
function builtCli(): string | undefined {
  checked ??= { cli: build() };
  return checked.cli;
}
function build(): string | undefined {
  if (process.env['FLOWLENS_BENCH_TSX'] === '1') return undefined;
  const cli = join(BUILT, 'cli.js');
  if (!existsSync(cli) || statSync(cli).mtimeMs < newestSource(join(ROOT, 'backend', 'src'))) {
    // Type errors elsewhere in the tree do not stop tsc emitting; only a missing output does.
    spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'backend/tsconfig.build.json'],
      { cwd: ROOT, stdio: 'ignore' },
    );
  }
  return existsSync(cli) ? cli : undefined;
}

/**
 * A backend module as the build ships it (`backend/dist/<rel>.js`, which tsx leaves alone), or
 * its source under FLOWLENS_BENCH_TSX=1 or when the build fails. `rel` is the path under
 * backend/src without extension; type it with `typeof import('../backend/src/<rel>.ts')`.
 */
export async function backendModule<T>(rel: string): Promise<T> {
  const file = builtCli() ? join(BUILT, `${rel}.js`) : join(ROOT, 'backend', 'src', `${rel}.ts`);
  return (await import(pathToFileURL(file).href)) as T;
}

/** The entry point `flowlens` runs: the built cli.js, or the source under FLOWLENS_BENCH_TSX=1. */
export function cliEntry(): string {
  return builtCli() ?? join(ROOT, 'backend', 'src', 'cli.ts');
}

/** The flowlens dashboard (`flowlens serve`) in its own process, on an ephemeral port. */
export async function startDashboard(args: string[]): Promise<Dashboard> {
  // FLOWLENS_BENCH_ARGS adds dashboard flags, e.g. "--heap-budget-mb 0" to compare.
  const extra = process.env['FLOWLENS_BENCH_ARGS']?.split(' ').filter(Boolean) ?? [];
  const argv = ['--port', '0', '--host', '127.0.0.1', ...args, ...extra];
  const entry = JSON.stringify(pathToFileURL(cliEntry()).href);
  const code = `import(${entry}).then(async (m) => process.exit(await m.main(${JSON.stringify(argv)})))`;
  // FLOWLENS_BENCH_CPU_PROF=dir writes a V8 CPU profile of the dashboard there when it exits.
  const prof = process.env['FLOWLENS_BENCH_CPU_PROF'];
  const c = spawnTs([...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), '-e', code]);
  const m = await c.waitFor(/dashboard on http:\/\/([\d.]+:\d+)\//);
  return { ...c, base: m[1]! };
}

/** CPU seconds (user + system) and RSS of a process, from /proc (Linux, 100 ticks/s). */
export function usage(pid: number): { cpuS: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  return { cpuS: ticks / 100, rssMiB: (rssPages * 4096) / 1024 / 1024 };
}

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export const int = (n: number) => Math.round(n).toLocaleString('en');

/** One figure: `name   value   (target)`, the format scripts/bench.mjs keeps. */
export function figure(name: string, value: string, target?: string): void {
  const v = target ? `${value.padEnd(24)} (${target})` : value;
  console.log(`${name.padEnd(60)} ${v}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
