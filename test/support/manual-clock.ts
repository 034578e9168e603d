// A clock and timers that move only when told: `advance(ms)` runs every timer that falls due, in
// time order, with `now()` set to its due time. For property tests and simulations that drive
// code taking injectable `now` and `setTimeout`/`clearTimeout`.

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class ManualClock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start: number) {
    this.#now = start;
  }

  readonly now = (): number => this.#now;

  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const timer = { at: this.#now + Math.max(0, ms), seq: ++this.#seq, fn, cancelled: false };
    this.#timers.push(timer);
    return timer;
  };

  readonly clearTimeout = (handle: unknown): void => {
    (handle as Timer).cancelled = true;
  };

  /** Timers waiting (not cancelled). */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, running due timers in order (a timer set by one runs too if due). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.cancelled = true;
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = end;
  }
}
