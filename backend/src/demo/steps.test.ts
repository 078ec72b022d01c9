import { describe, expect, it } from 'vitest';
import { ClusterModel, type ModelChange } from '../k8s/cluster-model.ts';
import { loadLab } from './lab-model.ts';
import { LabSteps } from './steps.ts';
import { SCENARIOS } from './scenarios/index.ts';

describe('LabSteps', () => {
  it('applies each step’s objects and undoes them going back', () => {
    const lab = SCENARIOS['starwars']!;
    const model = new ClusterModel();
    loadLab(lab, model);
    const changes: ModelChange[] = [];
    model.onChange((c) => changes.push(c));
    const steps = new LabSteps(lab, model);
    expect(steps.state()).toMatchObject({ scenario: 'starwars', current: 0 });

    steps.goTo(1);
    expect(model.ciliumNetworkPolicies('default').map((p) => p.metadata.name)).toEqual(['rule1']);
    expect(changes.map((c) => `${c.type} ${c.kind} ${c.name}`)).toEqual([
      'added CiliumNetworkPolicy rule1',
    ]);

    steps.goTo(2);
    const spec = model.ciliumNetworkPolicies('default')[0]!.spec as {
      ingress: { toPorts: { rules?: unknown }[] }[];
    };
    expect(spec.ingress[0]!.toPorts[0]!.rules).toBeDefined();
    expect(changes.at(-1)).toMatchObject({ type: 'modified', name: 'rule1' });

    steps.goTo(0);
    expect(model.ciliumNetworkPolicies()).toEqual([]);
    expect(changes.at(-1)).toMatchObject({ type: 'deleted', name: 'rule1' });
  });

  it('refuses a step that does not exist', () => {
    const lab = SCENARIOS['starwars']!;
    const steps = new LabSteps(lab, new ClusterModel());
    expect(() => steps.goTo(7)).toThrow('step must be between 0 and 2, got 7');
  });

  it.each(Object.entries(SCENARIOS))('%s has both languages for every text', (_name, lab) => {
    for (const s of lab.steps ?? []) {
      for (const t of [s.title, s.lookFor]) {
        expect(t.en.trim()).not.toBe('');
        expect(t.ko.trim()).not.toBe('');
        expect(t.ko).toMatch(/[가-힣]/);
      }
    }
  });
});
