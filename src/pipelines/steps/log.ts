/**
 * A step attempt's log: lines from the command's stdout/stderr or the built-in's progress, kept in
 * memory up to a bound (the head and the tail survive; the middle of a very chatty log is dropped
 * and says so), then stored as one blob when the attempt ends, failed or not.
 */
import type { BlobStore } from '../../artifacts/store.js';

const MAX_BYTES = 4 * 1024 * 1024;

export class StepLog {
  private head: string[] = [];
  private tail: string[] = [];
  private headBytes = 0;
  private tailBytes = 0;
  private dropped = 0;

  constructor(private readonly now: () => number = Date.now) {}

  line(text: string): void {
    const stamped = `${new Date(this.now()).toISOString()} ${text}\n`;
    if (this.headBytes + stamped.length <= MAX_BYTES / 2) {
      this.head.push(stamped);
      this.headBytes += stamped.length;
      return;
    }
    this.tail.push(stamped);
    this.tailBytes += stamped.length;
    while (this.tailBytes > MAX_BYTES / 2 && this.tail.length > 1) {
      this.tailBytes -= this.tail.shift()!.length;
      this.dropped++;
    }
  }

  /** The last lines, for an error message. */
  lastLines(n: number): string {
    return [...this.head, ...this.tail].slice(-n).join('').trimEnd();
  }

  text(): string {
    const gap = this.dropped ? `… ${this.dropped} line(s) dropped …\n` : '';
    return this.head.join('') + gap + this.tail.join('');
  }

  async store(blobs: BlobStore): Promise<string> {
    return (await blobs.put(Buffer.from(this.text()))).sha256;
  }
}
