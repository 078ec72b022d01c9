// `--record FILE`: appends every received flow as a `hubble observe -o json` line, so a lab
// recorded with flowlens replays in flowlens and in Hubble's own tooling. A disk slower than the
// flow rate must not grow memory: past the buffer limit lines are dropped, and counted.
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { formatLine, responseFromRecord } from '../hubble/json-codec.ts';
import type { FlowRecord } from '../hubble/types.ts';

export interface RecorderStats {
  file: string;
  written: number;
  dropped: number;
  lastError?: string;
}

export class Recorder {
  private readonly out: WriteStream;
  readonly stats: RecorderStats;

  constructor(
    file: string,
    private readonly maxBufferedBytes = 8 * 1024 * 1024,
  ) {
    this.stats = { file, written: 0, dropped: 0 };
    this.out = createWriteStream(file, { flags: 'a' });
    this.out.on('error', (err) => {
      this.stats.lastError = err.message;
    });
  }

  write(rec: FlowRecord): void {
    if (this.stats.lastError !== undefined || this.out.writableLength > this.maxBufferedBytes) {
      this.stats.dropped += 1;
      return;
    }
    this.out.write(formatLine(responseFromRecord(rec)) + '\n');
    this.stats.written += 1;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
