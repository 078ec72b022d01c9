// `npm start`: install what is missing, build, run the dashboard. Arguments after `--` go to
// flowlens (`npm start -- --hubble 127.0.0.1:4245`); with none, flowlens runs its demo.
import { ensureDeps, run, ROOT } from './ensure-deps.mjs';

ensureDeps();
run('npm', ['run', 'build', '--silent']);
run(process.execPath, ['bin/flowlens.js', ...process.argv.slice(2)], { cwd: ROOT });
