// Runs the built `flowlens` command as a user would, in its own process group so that stopping
// it also stops anything it started.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/flowlens.js', import.meta.url));

export interface Running {
  proc: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `re` in stderr+stdout. */
  waitForOutput: (re: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

export function runFlowlens(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, HUBBLE_ADDR: '', HOST: '', PORT: '', FLOWLENS_TOKEN: '', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const waitForOutput = async (re: RegExp, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = out.match(re);
      if (m) return m;
      if (Date.now() > deadline || proc.exitCode !== null) {
        throw new Error(`no ${re} in flowlens output:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const stop = async () => {
    if (proc.exitCode !== null || proc.pid === undefined) return;
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-(proc.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
  };
  return { proc, output: () => out, waitForOutput, exited, stop };
}

/** Starts the dashboard on an ephemeral port and returns its base URL. */
export async function startDashboard(args: string[]): Promise<Running & { url: string }> {
  const r = runFlowlens(['--port', '0', ...args]);
  const m = await r.waitForOutput(/dashboard on (http:\/\/[^/\s]+)\//);
  return { ...r, url: m[1] };
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
