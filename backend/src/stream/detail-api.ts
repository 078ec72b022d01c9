// The endpoints behind the UI's detail views: one policy as YAML with its rules' line ranges,
// one flow with the Hubble JSON it came from, and the replay's pace. Only the replay's pace can
// be changed; nothing here touches the cluster.
import { formatLine, responseFromRecord } from '../hubble/json-codec.ts';
import type { ClusterView } from '../k8s/cluster-model.ts';
import type { CiliumNetworkPolicy, NetworkPolicy } from '../k8s/objects.ts';
import { policyText, type PolicyKind } from '../policy/core/policy-yaml.ts';
import type { FlowStore } from '../store/flow-store.ts';
import type { ReplayPacer } from '../store/replay-pacer.ts';
import { BadRequest, type Route } from './http-server.ts';
import { policyKey, readPolicyTexts } from './manifest-text.ts';

export interface DetailContext {
  store: FlowStore;
  model?: ClusterView;
  /** Replay mode: the pacer; undefined otherwise. */
  replay?: () => ReplayPacer | undefined;
  /** The manifest files the model was loaded from, for each policy's own text. */
  manifests?: string[];
}

const KINDS: readonly PolicyKind[] = [
  'NetworkPolicy',
  'CiliumNetworkPolicy',
  'CiliumClusterwideNetworkPolicy',
];
/** Replays faster than this are as good as `max`; the bound keeps the number meaningful. */
const MAX_SPEED = 1000;

type AnyPolicy = NetworkPolicy | CiliumNetworkPolicy;

function find(
  model: ClusterView,
  kind: PolicyKind,
  ns: string | undefined,
  name: string,
): AnyPolicy | undefined {
  const list: AnyPolicy[] =
    kind === 'NetworkPolicy'
      ? model.networkPolicies(ns)
      : kind === 'CiliumNetworkPolicy'
        ? model.ciliumNetworkPolicies(ns)
        : model.ciliumClusterwidePolicies();
  return list.find(
    (p) =>
      p.metadata.name === name &&
      (kind === 'CiliumClusterwideNetworkPolicy' || p.metadata.namespace === ns),
  );
}

/** `speed` as the CLI's --replay-speed takes it: a positive number or "max". */
function parseSpeed(v: unknown): number {
  if (v === 'max') return Infinity;
  if (typeof v === 'number' && v > 0 && v <= MAX_SPEED) return v;
  throw new BadRequest(`speed must be a number above 0 and at most ${MAX_SPEED}, or "max"`);
}

function progressJson(p: ReplayPacer) {
  const pr = p.progress;
  // JSON has no Infinity: "max" is the CLI's word for it.
  return { ...pr, speed: Number.isFinite(pr.speed) ? pr.speed : 'max' };
}

export function detailRoutes(ctx: DetailContext): Record<string, Route> {
  // Read once, on the first policy asked for: the model does not reload its manifests either.
  let texts: Promise<Map<string, string>> | undefined;
  const manifestText = async (kind: PolicyKind, p: AnyPolicy): Promise<string | undefined> => {
    if (!ctx.manifests?.length) return undefined;
    texts ??= readPolicyTexts(ctx.manifests).catch(() => new Map<string, string>());
    return (await texts).get(policyKey(kind, p.metadata.namespace, p.metadata.name));
  };
  const pacer = () => {
    const p = ctx.replay?.();
    if (!p) throw new BadRequest('not replaying a recording: there is no pace to set');
    return p;
  };
  return {
    '/api/policy': {
      method: 'GET',
      handle: async ({ url }) => {
        const q = url.searchParams;
        const kind = q.get('kind');
        if (kind !== null && !(KINDS as readonly string[]).includes(kind)) {
          throw new BadRequest(`kind must be one of ${KINDS.join(', ')}, got ${kind}`);
        }
        let ns = q.get('namespace') ?? undefined;
        let name = q.get('name') ?? '';
        // Explanations name policies as `ns/name`; accept that form too.
        if (!ns && name.includes('/')) [ns, name] = name.split('/', 2) as [string, string];
        if (!name) throw new BadRequest('name is required (and namespace, unless clusterwide)');
        const kinds = kind ? [kind as PolicyKind] : KINDS;
        for (const k of kinds) {
          const p = ctx.model && find(ctx.model, k, ns, name);
          if (p) return { json: policyText(k, p, await manifestText(k, p)) };
        }
        const who = ns ? `${ns}/${name}` : name;
        return { status: 404, json: { error: `no ${kind ?? 'policy'} ${who} in the model` } };
      },
    },
    '/api/flow': {
      method: 'GET',
      handle: ({ url }) => {
        const id = url.searchParams.get('id');
        if (!id) throw new BadRequest('id is required');
        const e = ctx.store.byId(id);
        if (!e) return { status: 404, json: { error: `flow ${id} is no longer in history` } };
        // Exactly the `hubble observe -o json` line /api/export would give for it.
        const hubble = JSON.parse(formatLine(responseFromRecord(e.record))) as unknown;
        return { json: { seq: e.seq, flow: e.flow, hubble } };
      },
    },
    '/api/replay': {
      method: 'GET',
      handle: () => ({ json: progressJson(pacer()) }),
    },
    '/api/replay/speed': {
      method: 'POST',
      handle: ({ body }) => {
        const p = pacer();
        p.setSpeed(parseSpeed((body as { speed?: unknown } | undefined)?.speed));
        return { json: progressJson(p) };
      },
    },
  };
}
