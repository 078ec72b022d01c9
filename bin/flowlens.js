#!/usr/bin/env node
// The `flowlens` command: runs the built backend (npm run build, or npm start, builds it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../backend/dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('flowlens: the backend is not built yet; run `npm start` or `npm run build`.');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
