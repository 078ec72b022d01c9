// A small table-driven argument parser: node:util's parseArgs cannot express `--demo [SCENARIO]`
// (an optional value) or environment fallbacks, and every error here must be one clear line.

export type OptionKind = 'string' | 'boolean' | 'optional-string' | 'string[]';

export interface OptionSpec {
  kind: OptionKind;
  /** Environment variable used when the option is not given. */
  env?: string;
  valueName?: string;
  help: string;
}

export type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseOptions(
  argv: string[],
  spec: Record<string, OptionSpec>,
  env: NodeJS.ProcessEnv = process.env,
): ParsedOptions {
  const out: ParsedOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument: ${arg}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    const next = argv[i + 1];
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      if (next === undefined || next.startsWith('--')) {
        throw new UsageError(`--${name} needs a value (${s.valueName ?? 'VALUE'})`);
      }
      i += 1;
      return next;
    };
    switch (s.kind) {
      case 'boolean':
        if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
        out[name] = true;
        break;
      case 'string':
        out[name] = takeValue();
        break;
      case 'optional-string':
        if (inline !== undefined) out[name] = inline;
        else if (next !== undefined && !next.startsWith('--')) {
          out[name] = next;
          i += 1;
        } else out[name] = true;
        break;
      case 'string[]': {
        const list = (out[name] as string[] | undefined) ?? [];
        list.push(takeValue());
        out[name] = list;
        break;
      }
    }
  }
  for (const [name, s] of Object.entries(spec)) {
    if (out[name] === undefined && s.env && env[s.env] !== undefined && env[s.env] !== '') {
      out[name] = s.kind === 'boolean' ? env[s.env] !== 'false' : env[s.env];
    }
  }
  return out;
}

export function formatOptions(spec: Record<string, OptionSpec>): string {
  const rows = Object.entries(spec).map(([name, s]) => {
    const value =
      s.kind === 'boolean'
        ? ''
        : s.kind === 'optional-string'
          ? ` [${s.valueName}]`
          : ` ${s.valueName ?? 'VALUE'}`;
    const env = s.env ? ` (env ${s.env})` : '';
    return [`  --${name}${value}`, `${s.help}${env}`];
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => l.padEnd(width) + r).join('\n');
}

export function parsePort(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${option} must be a port number (0-65535), got ${value}`);
  }
  return n;
}
