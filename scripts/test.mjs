// `npm test`: install what the tests need, then every check CI relies on, in order of speed.
import { ensureDeps, run } from './ensure-deps.mjs';

ensureDeps();
run('npx', ['prettier', '--check', '.', '--log-level', 'warn']);
run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
run('npx', ['eslint', '.', '--max-warnings', '0']);
run('npm', ['run', 'build', '--silent']);
run('npx', ['vitest', 'run']);
