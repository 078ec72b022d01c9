import { readFileSync } from 'node:fs';

/** src/ and dist/ sit at the same depth, so this finds backend/package.json from either. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
