// google.protobuf.FieldMask over a flow: keep only the listed paths (`time`, `source.namespace`,
// `l4.TCP.destination_port`). Paths are proto field names, as in Hubble's
// `--experimental-field-mask`. An empty mask keeps everything.

interface MaskTree {
  [field: string]: MaskTree | true;
}

export class FieldMaskError extends Error {
  override readonly name = 'FieldMaskError';
}

function buildTree(paths: string[]): MaskTree {
  const root: MaskTree = {};
  for (const path of paths) {
    const parts = path.split('.');
    if (parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) {
      throw new FieldMaskError(`field mask path is not a field path: ${path}`);
    }
    let node = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const cur = node[part];
      if (cur === true) return;
      if (last) node[part] = true;
      else node = (node[part] = cur ?? {}) as MaskTree;
    });
  }
  return root;
}

function pick(value: unknown, tree: MaskTree): unknown {
  if (Array.isArray(value)) return value.map((v) => pick(v, tree));
  if (typeof value !== 'object' || value === null) return undefined;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(tree)) {
    if (src[k] === undefined) continue;
    out[k] = sub === true ? src[k] : pick(src[k], sub);
  }
  return out;
}

/** Returns a function that copies only the masked fields of an object. */
export function compileFieldMask<T extends object>(paths: string[] | undefined): (v: T) => T {
  if (!paths || paths.length === 0) return (v) => v;
  const tree = buildTree(paths);
  return (v) => pick(v, tree) as T;
}
