// Installs npm dependencies when they are missing or older than the lockfile, and Debian's
// chromium for the browser tests and the UI bench. Plain JavaScript with no imports beyond
// Node's own, because it runs before anything is installed.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

export function ensureDeps() {
  const marker = join(ROOT, 'node_modules', '.package-lock.json');
  const lock = join(ROOT, 'package-lock.json');
  const stale =
    !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
  if (!stale) return;
  console.log('flowlens: installing npm dependencies…');
  // `npm ci` gives exactly the locked tree; a checkout without a lockfile falls back to install.
  run(
    'npm',
    existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'],
  );
}

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

/**
 * The browser tests and the UI bench drive Debian's chromium; a fresh machine gets it, and a
 * font, from apt. `purpose` names what needs it in the message.
 */
export function ensureBrowser(purpose) {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (!hasKoreanFont()) missing.push(CJK_FONT);
  if (missing.length === 0) return;
  console.log(`flowlens: installing ${missing.join(' and ')} for ${purpose}…`);
  apt('update', '-qq');
  apt('install', '-y', '-qq', '--no-install-recommends', ...missing);
}
