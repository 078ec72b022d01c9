// Loads a `hubble observe -o json` file (or a flowlens recording, the same format) for the
// Hubble-compatible server. Bad lines are reported with their line number and skipped; the rest
// still load.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { FlowDecodeError, parseLine, recordFromResponse } from './json-codec.ts';
import type { FlowRecord } from './types.ts';

export interface ReplayLoadResult {
  records: FlowRecord[];
  lines: number;
  skipped: number;
  /** Valid lines that hold no flow (lost_events, node_status, agent or debug events). */
  nonFlow: number;
  /** The first few problems, as `line N: reason`. */
  errors: string[];
}

const MAX_REPORTED = 20;

export async function loadReplayFile(file: string): Promise<ReplayLoadResult> {
  const result: ReplayLoadResult = { records: [], lines: 0, skipped: 0, nonFlow: 0, errors: [] };
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    result.lines += 1;
    try {
      const res = parseLine(line);
      if (res?.flow) result.records.push(recordFromResponse({ ...res, flow: res.flow }));
      else if (res) result.nonFlow += 1;
    } catch (err) {
      if (!(err instanceof FlowDecodeError)) throw err;
      result.skipped += 1;
      if (result.errors.length < MAX_REPORTED) {
        result.errors.push(`line ${result.lines}: ${err.message}`);
      }
    }
  }
  // Recordings from several nodes are not strictly ordered; Hubble serves them by time.
  result.records.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  return result;
}
