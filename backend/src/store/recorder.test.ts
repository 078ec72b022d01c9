import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLine, parseLine, responseFromRecord } from '../hubble/json-codec.ts';
import { flowAt } from '../../../tests/support/builders.ts';
import { Recorder } from './recorder.ts';

const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean);

describe('Recorder', () => {
  it('writes Hubble JSON lines that read back as the same flows', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flowlens-rec-')), 'lab.jsonl');
    const r = new Recorder(file);
    const recs = [0, 1, 2].map((i) => flowAt(i));
    for (const rec of recs) r.write(rec);
    await r.close();
    expect(lines(file).map((l) => parseLine(l)?.flow)).toEqual(recs.map((x) => x.flow));
  });

  it('rotates by size and keeps a fixed number of old files', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flowlens-rec-')), 'lab.jsonl');
    const size = formatLine(responseFromRecord(flowAt(10))).length + 1;
    const r = new Recorder(file, { maxFileBytes: size * 2 + 10, keep: 2 });
    for (let i = 1; i < 12; i++) r.write(flowAt(i));
    await r.close();
    await new Promise((res) => setTimeout(res, 50));
    expect(r.stats.rotations).toBeGreaterThanOrEqual(3);
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    const kept = [...lines(`${file}.2`), ...lines(`${file}.1`), ...lines(file)];
    const uuids = kept.map((l) => parseLine(l)?.flow?.uuid);
    expect(uuids.at(-1)).toBe('flow-11');
    expect(uuids).toEqual([...uuids].sort((a, b) => Number(a!.slice(5)) - Number(b!.slice(5))));
  });
});
