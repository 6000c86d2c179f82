import type { CliIo } from "./io.js";

/** Progress on stderr for long scans: only on a terminal, throttled, erased when done. */
export class Progress {
  private files = 0;
  private bytes = 0;
  private readonly started: number;
  private lastDraw = 0;
  private drawn = false;
  private readonly enabled: boolean;

  constructor(
    private readonly io: CliIo,
    wanted: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.enabled = wanted && io.stderrIsTTY;
    this.started = now();
  }

  tick(bytes: number): void {
    this.files++;
    this.bytes += bytes;
    if (!this.enabled) return;
    const now = this.now();
    if (now - this.started < 500 || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.drawn = true;
    const s = ((now - this.started) / 1000).toFixed(1);
    this.io.stderr(`\r\x1b[2Kscanning: ${this.files} files, ${(this.bytes / 1e6).toFixed(1)} MB, ${s}s`);
  }

  done(): void {
    if (this.drawn) this.io.stderr("\r\x1b[2K");
  }
}
