// `npm test`: install what the tests need, then every check CI relies on, in order of speed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureDeps, run } from './ensure-deps.mjs';

const CHROMIUM = '/usr/bin/chromium';
/**
 * The smallest Debian font with Korean glyphs (about 10 MB to fetch; fonts-noto-cjk is 56 MB).
 * Without one, chromium draws Korean as boxes in the screenshots the browser tests take.
 */
const CJK_FONT = 'fonts-nanum';

function apt(...args) {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run(sudo[0] ?? 'apt-get', sudo.length ? ['apt-get', ...args] : args, { env });
}

/** Whether fontconfig knows a font that covers Korean (fc-list comes with chromium). */
function hasKoreanFont() {
  const r = spawnSync('fc-list', [':lang=ko', 'family'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

/** The browser tests drive Debian's chromium; a fresh machine gets it, and a font, from apt. */
function ensureBrowser() {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (!hasKoreanFont()) missing.push(CJK_FONT);
  if (missing.length === 0) return;
  console.log(`flowlens: installing ${missing.join(' and ')} for the browser tests…`);
  apt('update', '-qq');
  apt('install', '-y', '-qq', '--no-install-recommends', ...missing);
}

ensureDeps();
ensureBrowser();
run('npx', ['prettier', '--check', '.', '--log-level', 'warn']);
run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
run('npx', ['eslint', '.', '--max-warnings', '0']);
// The root tsconfig leaves frontend/ out: svelte-check type-checks the UI, .svelte files included.
run('npm', ['run', 'check', '-w', 'frontend', '--silent']);
run('npm', ['run', 'build', '--silent']);
run('npx', ['vitest', 'run']);
