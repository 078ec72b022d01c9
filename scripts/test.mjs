// `npm test`: install what the tests need, then every check CI relies on, in order of speed.
import { ensureBrowser, ensureDeps, run } from './ensure-deps.mjs';

ensureDeps();
ensureBrowser('the browser tests');
run('npx', ['prettier', '--check', '.', '--log-level', 'warn']);
run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
run('npx', ['eslint', '.', '--max-warnings', '0']);
// The root tsconfig leaves frontend/ out: svelte-check type-checks the UI, .svelte files included.
run('npm', ['run', 'check', '-w', 'frontend', '--silent']);
run('npm', ['run', 'build', '--silent']);
run('npx', ['vitest', 'run']);
