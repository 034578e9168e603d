// Shares one router container's in-flight counts through the health store, off the request path:
// a change is reported at most once per `intervalMs` (the outcome buffer's cadence), and counts
// that stay above zero are reported again every `heartbeatMs`, so readers (who ignore reports
// older than their freshness window) keep seeing them while requests run. A report with nothing
// in flight removes the container's share. Writes run in the background and never throw into a
// request; timers are unref'd. In Lambda a report pending when the response is sent goes out on
// the container's next invocation, so a frozen container's last share stays until it is stale.
import type { InflightReport } from '@switchyard/core';

/** What the reporter reads: the counts now, and a number that changes whenever they do. */
export interface InflightSource {
  readonly version: number;
  counts(): Record<string, number>;
}

export interface InflightReporterOptions {
  /** This container's id. */
  router: string;
  source: InflightSource;
  sink: (report: InflightReport) => Promise<void>;
  /** Least time between two reports. @default 1000 */
  intervalMs?: number;
  /** Longest time between two reports while anything is in flight. @default 4000 */
  heartbeatMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export class InflightReporter {
  readonly #o: InflightReporterOptions;
  readonly #now: () => number;
  readonly #interval: number;
  readonly #heartbeat: number;
  #reportedVersion: number;
  /** Whether the last report (if any) had requests in flight: a share stands in the store. */
  #standing = false;
  #lastAt = Number.NEGATIVE_INFINITY;
  #writing: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: InflightReporterOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#interval = options.intervalMs ?? 1000;
    this.#heartbeat = Math.max(this.#interval, options.heartbeatMs ?? 4000);
    this.#reportedVersion = options.source.version;
  }

  /** Call when the counts changed: reports now, or schedules the report when one is due. */
  changed(): void {
    if (this.#writing) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const due = this.#dueAt();
    if (due === undefined) return;
    const wait = due - this.#now();
    if (wait <= 0) {
      void this.#report();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.changed();
    }, wait);
    this.#timer.unref?.();
  }

  /** Writes the current counts now (waiting for a write under way), whether or not one is due. */
  async flush(): Promise<void> {
    if (this.#writing) await this.#writing;
    if (this.#o.source.version !== this.#reportedVersion || this.#standing) await this.#report();
  }

  /** When the next report is due, or undefined when none is needed. */
  #dueAt(): number | undefined {
    if (this.#o.source.version !== this.#reportedVersion) return this.#lastAt + this.#interval;
    return this.#standing ? this.#lastAt + this.#heartbeat : undefined;
  }

  #report(): Promise<void> {
    const version = this.#o.source.version;
    const inflight = this.#o.source.counts();
    const any = Object.keys(inflight).length > 0;
    const at = this.#now();
    this.#reportedVersion = version;
    if (!any && !this.#standing) return Promise.resolve();
    this.#lastAt = at;
    this.#writing = this.#o
      .sink({ router: this.#o.router, at, inflight })
      .then(
        () => {
          this.#standing = any;
        },
        (err: unknown) => {
          // Not reported: try again at the next change or heartbeat.
          this.#reportedVersion = Number.NaN;
          this.#o.onError?.(err);
        },
      )
      .finally(() => {
        this.#writing = undefined;
        this.changed();
      });
    return this.#writing;
  }
}
