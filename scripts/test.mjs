// `npm test`: install what the tests need, then every check CI relies on, in order of speed.
import { existsSync } from 'node:fs';
import { ensureDeps, run } from './ensure-deps.mjs';

const CHROMIUM = '/usr/bin/chromium';

/** The browser tests drive Debian's chromium; a fresh machine gets it from apt. */
function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  console.log('flowlens: installing chromium for the browser tests…');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) =>
    run(sudo[0] ?? 'apt-get', sudo.length ? ['apt-get', ...args] : args, { env });
  apt('update', '-qq');
  apt('install', '-y', '-qq', '--no-install-recommends', 'chromium');
}

ensureDeps();
ensureChromium();
run('npx', ['prettier', '--check', '.', '--log-level', 'warn']);
run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
run('npx', ['eslint', '.', '--max-warnings', '0']);
run('npm', ['run', 'build', '--silent']);
run('npx', ['vitest', 'run']);
