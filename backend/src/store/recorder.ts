// `--record FILE`: appends every received flow as a `hubble observe -o json` line, so a lab
// recorded with flowlens replays in flowlens and in Hubble's own tooling. A disk slower than the
// flow rate must not grow memory: past the buffer limit lines are dropped, and counted. Files
// rotate by size (FILE → FILE.1 → FILE.2 …), keeping a fixed number of old ones.
import { createWriteStream, existsSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { formatLine, responseFromRecord } from '../hubble/json-codec.ts';
import type { FlowRecord } from '../hubble/types.ts';

export interface RecorderStats {
  file: string;
  written: number;
  dropped: number;
  rotations: number;
  lastError?: string;
}

export interface RecorderOptions {
  /** Rotate when the file reaches this size; 0 never rotates. */
  maxFileBytes?: number;
  /** Rotated files to keep. */
  keep?: number;
  maxBufferedBytes?: number;
}

export class Recorder {
  private out: WriteStream;
  private fileBytes: number;
  readonly stats: RecorderStats;
  private readonly maxFileBytes: number;
  private readonly keep: number;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly file: string,
    opts: RecorderOptions = {},
  ) {
    this.maxFileBytes = opts.maxFileBytes ?? 100 * 1024 * 1024;
    this.keep = opts.keep ?? 5;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.stats = { file, written: 0, dropped: 0, rotations: 0 };
    this.fileBytes = existsSync(file) ? statSync(file).size : 0;
    this.out = this.open();
  }

  /** Opens synchronously, so the file exists (and can be rotated) from the first write on. */
  private open(): WriteStream {
    const out = createWriteStream(this.file, { fd: openSync(this.file, 'a') });
    out.on('error', (err) => {
      this.stats.lastError = err.message;
    });
    return out;
  }

  write(rec: FlowRecord): void {
    if (this.stats.lastError !== undefined || this.out.writableLength > this.maxBufferedBytes) {
      this.stats.dropped += 1;
      return;
    }
    const line = formatLine(responseFromRecord(rec)) + '\n';
    if (
      this.maxFileBytes > 0 &&
      this.fileBytes > 0 &&
      this.fileBytes + line.length > this.maxFileBytes
    ) {
      this.rotate();
    }
    this.out.write(line);
    this.fileBytes += Buffer.byteLength(line);
    this.stats.written += 1;
  }

  /**
   * Renames synchronously while the old stream drains into its (renamed) file descriptor:
   * the rename keeps the inode, so pending writes still land in what is now FILE.1.
   */
  private rotate(): void {
    this.out.end();
    try {
      const name = (i: number) => `${this.file}.${i}`;
      if (existsSync(name(this.keep))) unlinkSync(name(this.keep));
      for (let i = this.keep - 1; i >= 1; i--)
        if (existsSync(name(i))) renameSync(name(i), name(i + 1));
      renameSync(this.file, name(1));
    } catch (err) {
      this.stats.lastError = `rotating ${this.file}: ${(err as Error).message}`;
    }
    this.out = this.open();
    this.fileBytes = 0;
    this.stats.rotations += 1;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
