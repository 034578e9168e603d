// The selection strategy interface and the helpers strategies share. A strategy orders the
// candidates that survived the hard constraints, primary first, and reports the random draws it
// used, so a decision can be explained and replayed. One strategy per file in this folder.
// Candidates come as a table of columns (struct of arrays), so that a decision over 10,000
// endpoints allocates no object per candidate.
import type { CompiledLearnedState } from '../learning/learned-state.ts';
import type { StrategyName } from '../registry.schema.ts';

/** The per-candidate figures a strategy may rank on; index i of every column is candidate i. */
export interface CandidateTable {
  readonly length: number;
  /** Blended score 0..1, higher is better (policy weights, priority, health factor applied). */
  readonly score: ArrayLike<number>;
  /** Quality prior for the task, 0..1. */
  readonly quality: ArrayLike<number>;
  /** The endpoint's registry weight (multiplies the weighted-random share). */
  readonly weight: ArrayLike<number>;
  /** Estimated cost in USD. */
  readonly cost: ArrayLike<number>;
  /** Expected latency in ms (EWMA blended with the p95 tail, else SLO, else a neutral default). */
  readonly latency: ArrayLike<number>;
  /** Peak-EWMA latency in ms (the expected latency when unmeasured). */
  readonly peak: ArrayLike<number>;
  /** Requests in flight now (0 when unknown). */
  readonly inflight: ArrayLike<number>;
  /** The endpoint's `max_inflight` (the default capacity when undeclared), positive. */
  readonly capacity: ArrayLike<number>;
}

export interface Selection {
  /**
   * The ranked head, primary first: `min(limit, n)` distinct candidate indexes (all of them, a
   * permutation, when no limit is given). Candidates not listed are unranked; a caller that needs
   * more walks them in ascending index order (see `RankedWalk`).
   */
  order: number[];
  /** The uniform [0, 1) draws used, in order (empty for deterministic strategies). */
  draws: number[];
  /** The probability the strategy put on the primary (`order[0]`), when it knows it (learned). */
  propensity?: number;
  /** Whether the primary came from an exploration draw (learned). */
  explored?: boolean;
}

/**
 * What the learned strategy reads beyond the candidate table (route() fills it for policies
 * with strategy `learned`; other strategies ignore it). Without it the learned strategy ranks
 * on the quality priors alone, as a fresh state would.
 */
export interface LearningInput {
  /** The request's context vector (learning/context.ts). */
  readonly x: ArrayLike<number>;
  /** The learned arm index of each candidate's model version; -1 when it has no state yet. */
  readonly arms: ArrayLike<number>;
  readonly state: CompiledLearnedState | undefined;
  /** Cost weight λ (priority already applied): utility = quality − λ · cost / dearest cost. */
  readonly lambda: number;
  /** Share of decisions that may explore, 0..0.5 (0 for high priority). */
  readonly explore: number;
}

export interface SelectionContext {
  readonly learning?: LearningInput;
}

export interface SelectionStrategy {
  readonly name: StrategyName;
  /**
   * Orders the candidates. `random` supplies uniform [0, 1) draws (seeded for reproducible
   * plans); `limit` (default: all) is how many leading positions the caller needs ranked;
   * `context` carries what a learning strategy reads besides the table.
   */
  select(
    candidates: CandidateTable,
    random: () => number,
    limit?: number,
    context?: SelectionContext,
  ): Selection;
}

/**
 * Scratch typed arrays shared by the strategies' synchronous `select` calls, grown on demand:
 * allocating typed arrays per decision costs more than the decision itself at 100 candidates.
 * Callers get a zero-filled view of the requested length; it is only valid until the next call.
 */
export class Scratch {
  #f64 = new Pooled((n) => new Float64Array(n));
  #u8 = new Pooled((n) => new Uint8Array(n));
  #i32 = new Pooled((n) => new Int32Array(n));

  f64(n: number): Float64Array {
    return this.#f64.view(n).fill(0);
  }

  u8(n: number): Uint8Array {
    return this.#u8.view(n).fill(0);
  }

  /** Not zero-filled: callers write every position. */
  i32(n: number): Int32Array {
    return this.#i32.view(n);
  }
}

type TypedArray = Float64Array | Uint8Array | Int32Array;

/** One grown-on-demand typed array; the same length gets the same view object back (no new one per call). */
class Pooled<T extends TypedArray> {
  #array: T;
  #view: T;

  constructor(private readonly make: (n: number) => T) {
    this.#array = make(0);
    this.#view = this.#array;
  }

  view(n: number): T {
    if (this.#array.length < n) this.#array = this.make(grow(n));
    if (this.#view.buffer !== this.#array.buffer || this.#view.length !== n)
      this.#view = this.#array.subarray(0, n) as T;
    return this.#view;
  }
}

const grow = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(64, n)));

/** Appends untaken indexes in ascending order until `order` holds `k` (for zero-share tails). */
export function completeOrder(order: number[], taken: Uint8Array, k: number): number[] {
  for (let i = 0; i < taken.length && order.length < k; i++) if (taken[i] === 0) order.push(i);
  return order;
}

/** `floor(u * m)` clamped into 0..m-1, for draws from generators that may return 1. */
export const drawIndex = (u: number, m: number): number => Math.min(m - 1, Math.max(0, Math.floor(u * m)));

/** Walks a selection: the ranked head, then every unranked index in ascending order. */
export class RankedWalk {
  #at = 0;
  #next = 0;
  /** The head's indexes ascending (built when the walk leaves the head), and how far the tail has passed. */
  #head: Int32Array | undefined;
  #skip = 0;

  constructor(
    private readonly order: readonly number[],
    private readonly n: number,
  ) {}

  /** The next candidate index, or -1 when every candidate has been visited. */
  next(): number {
    if (this.#at < this.order.length) return this.order[this.#at++] as number;
    // The tail ascends, so a merge against the sorted head skips the ranked ones (no Set).
    this.#head ??= Int32Array.from(this.order).sort();
    const head = this.#head;
    while (this.#next < this.n) {
      const i = this.#next++;
      while (this.#skip < head.length && (head[this.#skip] as number) < i) this.#skip++;
      if (this.#skip < head.length && head[this.#skip] === i) continue;
      return i;
    }
    return -1;
  }
}

/**
 * Deterministic ranking by `compare` (negative: a before b; must be a total order): the best
 * `limit`. Sorts fully when the list is short or most of it is needed, else keeps a sorted
 * top-`limit` buffer (O(n) for typical inputs).
 */
export function rankBy(n: number, limit: number, compare: (a: number, b: number) => number): Selection {
  const k = Math.min(Math.max(0, limit), n);
  if (n <= 64 || k * 4 >= n) {
    const all = Array.from({ length: n }, (_, i) => i).sort(compare);
    return { order: k === n ? all : all.slice(0, k), draws: [] };
  }
  const top: number[] = [];
  for (let i = 0; i < n; i++) {
    if (top.length === k) {
      if (k === 0 || compare(i, top[k - 1] as number) >= 0) continue;
      top.pop();
    }
    let j = top.length;
    top.push(i);
    while (j > 0 && compare(i, top[j - 1] as number) < 0) {
      top[j] = top[j - 1] as number;
      j--;
    }
    top[j] = i;
  }
  return { order: top, draws: [] };
}
