// Advancing a lab through its steps. Step n's cluster is the lab's objects plus every step's
// changes up to n, applied to the model as a relist would be — so going back works, and each
// change lands on the timeline with its revision.
import type { ClusterModel, ResourceKind } from '../k8s/cluster-model.ts';
import { CLUSTER_SCOPED, isResourceKind } from '../k8s/cluster-model.ts';
import type { KubeObject } from '../k8s/objects.ts';
import type { Lab, LabStep, Localized } from './lab.ts';
import { labObjects } from './lab-model.ts';

export interface StepsState {
  scenario: string;
  summary?: Localized;
  current: number;
  steps: { id: string; title: Localized; lookFor: Localized }[];
}

export class StepError extends Error {
  override readonly name = 'StepError';
}

function keyOf(
  kind: string,
  o: { metadata?: { namespace?: string; name?: string } },
  ns?: string,
): string {
  const namespaced = isResourceKind(kind) && !CLUSTER_SCOPED.has(kind);
  return `${kind}/${namespaced ? (o.metadata?.namespace ?? ns ?? 'default') : ''}/${o.metadata?.name ?? ''}`;
}

export class LabSteps {
  private index = 0;
  private readonly steps: LabStep[];

  constructor(
    private readonly lab: Lab,
    private readonly model: ClusterModel,
  ) {
    this.steps = lab.steps ?? [];
  }

  get current(): number {
    return this.index;
  }

  state(): StepsState {
    const s: StepsState = {
      scenario: this.lab.name,
      current: this.index,
      steps: this.steps.map((x) => ({ id: x.id, title: x.title, lookFor: x.lookFor })),
    };
    if (this.lab.summary) s.summary = this.lab.summary;
    return s;
  }

  /** The objects of the cluster at step n. */
  objectsAt(n: number): Map<string, { kind: ResourceKind; object: KubeObject }> {
    const out = new Map<string, { kind: ResourceKind; object: KubeObject }>();
    for (const e of labObjects(this.lab)) out.set(keyOf(e.kind, e.object), e);
    for (const step of this.steps.slice(0, n + 1)) {
      for (const o of step.apply ?? []) {
        const kind = o['kind'];
        if (!isResourceKind(kind))
          throw new StepError(`step ${step.id}: unknown kind ${String(kind)}`);
        const object = o as unknown as KubeObject;
        out.set(keyOf(kind, object), { kind, object });
      }
      for (const r of step.remove ?? []) {
        out.delete(keyOf(r.kind, { metadata: { name: r.name, namespace: r.namespace } }));
      }
    }
    return out;
  }

  /** Moves to step n (0 is the lab's starting state) and applies the difference to the model. */
  goTo(n: number): StepsState {
    if (!Number.isInteger(n) || n < 0 || n >= Math.max(1, this.steps.length)) {
      throw new StepError(
        `step must be between 0 and ${Math.max(0, this.steps.length - 1)}, got ${n}`,
      );
    }
    const target = this.objectsAt(n);
    const kinds = new Set<ResourceKind>();
    for (const step of this.steps) {
      for (const o of step.apply ?? []) if (isResourceKind(o['kind'])) kinds.add(o['kind']);
      for (const r of step.remove ?? []) if (isResourceKind(r.kind)) kinds.add(r.kind);
    }
    for (const kind of kinds) {
      const objects = [...target.values()].filter((e) => e.kind === kind).map((e) => e.object);
      this.model.replace(kind, objects);
    }
    this.index = n;
    return this.state();
  }
}
