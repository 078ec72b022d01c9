import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.ts';

const zero = () => 0;
const sources = {
  hubbleConnected: () => true,
  kubernetesSynced: () => true,
  flowsPerSecond: zero,
  clients: zero,
  mapSize: () => ({ nodes: 0, edges: 0 }),
  historyFlows: zero,
  streamRowsSkipped: zero,
  streamClientsDropped: zero,
  lostEvents: zero,
  malformedFlows: zero,
  historyEvicted: zero,
};

const sample = (text: string, series: string) =>
  Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

describe('Metrics', () => {
  it('counts flows by verdict and drops by reason, cumulatively across scrapes', async () => {
    const m = new Metrics(sources);
    m.countFlow('FORWARDED');
    m.countFlow('DROPPED', 'POLICY_DENIED');
    m.countFlow('DROPPED', 'POLICY_DENIED');
    let text = await m.text();
    expect(sample(text, 'flowlens_flows_total{verdict="FORWARDED"}')).toBe(1);
    expect(sample(text, 'flowlens_flows_total{verdict="DROPPED"}')).toBe(2);
    expect(sample(text, 'flowlens_drops_total{reason="POLICY_DENIED"}')).toBe(2);
    m.countFlow('DROPPED', 'CT_MAP_INSERTION_FAILED');
    text = await m.text();
    expect(sample(text, 'flowlens_flows_total{verdict="DROPPED"}')).toBe(3);
    expect(sample(text, 'flowlens_drops_total{reason="POLICY_DENIED"}')).toBe(2);
    expect(sample(text, 'flowlens_drops_total{reason="CT_MAP_INSERTION_FAILED"}')).toBe(1);
    // A scrape with nothing new says the same.
    expect(sample(await m.text(), 'flowlens_flows_total{verdict="FORWARDED"}')).toBe(1);
  });
});
