// The YAML of a suggested fix: plain data (maps, lists, strings, numbers, booleans) written in
// block style, laid out the way the `yaml` library lays it out. The library took about 0.2 ms a
// document, a third of explaining a new connection, most of it deciding how each scalar may be
// written; this takes microseconds. Parsing YAML, and showing a cluster's own policies, stay
// with the library (policy-yaml.ts).
//
// Quoting is strict, because label keys and values come from the cluster and the text is meant
// for `kubectl apply`: a string is written plain only when it is a simple word no YAML 1.1 or
// 1.2 reader could take for anything but that string (so not `on`, `no`, `null` or `1e3`);
// every other string is written double-quoted, with JSON's escapes, which YAML's double-quoted
// style shares, and with the characters YAML 1.1 reads as line breaks escaped too.

type Data = string | number | boolean | null | undefined | Data[] | { [key: string]: Data };

/** A word or a path: a letter, `_` or `/` first, then letters, digits and `_ . / -`. */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
/** Longer keys must be written as explicit keys (`? key`): implicit ones end within 1024. */
const MAX_IMPLICIT_KEY = 1000;
/** Words a YAML 1.1 reader (Kubernetes' YAML, for one) takes for a boolean or null. */
const RESERVED = /^(?:y|n|yes|no|on|off|true|false|null)$/i;
/** Characters JSON leaves as they are that YAML must not see raw in a double-quoted string. */
const UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

function text(s: string): string {
  if (PLAIN.test(s) && !RESERVED.test(s)) return s;
  return JSON.stringify(s).replace(
    UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function scalar(v: Data): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return text(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  return Object.keys(v).some((k) => v[k] !== undefined) ? undefined : '{}';
}

/** Lines of a map whose keys start at column `indent`. */
function mapLines(m: { [key: string]: Data }, indent: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  for (const k of Object.keys(m)) {
    const v = m[k];
    if (v === undefined) continue;
    const s = scalar(v);
    let key = text(k);
    if (key.length > MAX_IMPLICIT_KEY) {
      out.push(`${pad}? ${key}`);
      key = '';
    }
    if (s !== undefined) out.push(`${pad}${key}: ${s}`);
    else {
      out.push(`${pad}${key}:`);
      block(v, indent + 2, out);
    }
  }
}

/** Lines of a list whose dashes are at column `indent`. */
function listLines(list: Data[], indent: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  for (const item of list) {
    const s = scalar(item);
    if (s !== undefined) {
      out.push(`${pad}- ${s}`);
      continue;
    }
    // A nested map or list starts on the dash's line, its lines two columns in.
    const at = out.length;
    block(item, indent + 2, out);
    out[at] = `${pad}- ${out[at]!.slice(indent + 2)}`;
  }
}

function block(v: Data, indent: number, out: string[]): void {
  if (Array.isArray(v)) listLines(v, indent, out);
  else mapLines(v as { [key: string]: Data }, indent, out);
}

/** The YAML document for `doc` (plain data, as JSON has it), ending in a newline. */
export function fixYaml(doc: Record<string, unknown>): string {
  const d = doc as { [key: string]: Data };
  const s = scalar(d);
  if (s !== undefined) return `${s}\n`;
  const out: string[] = [];
  mapLines(d, 0, out);
  return out.join('\n') + '\n';
}
