// Least outstanding requests: the candidate with the fewest requests in flight relative to its
// capacity first, i.e. the lowest `(inflight + 1) / capacity` (the share of its capacity it would
// have with this request: of two idle endpoints the larger one goes first); ties go to the higher
// score, then the lower index.
// Draw rule: when several candidates tie for the first place exactly (same load share and same
// score, as identical replicas do when idle), one draw picks where in that group the order starts
// (the group, in index order, rotated to start there), so idle replicas share the traffic instead
// of the first one taking all of it. No other draw: with one best candidate the order is
// deterministic. Within one router container the counts are exact and change at each dispatch, so
// the rule does not herd there; across many containers the shared figures are seconds old, and
// every container would pick the same endpoint that looked emptiest: p2c-ewma's two random
// choices are the better fit for many single-request containers (standard Lambda).
import type { CandidateTable, Selection, SelectionStrategy } from './strategy.ts';
import { drawIndex, rankBy, Scratch } from './strategy.ts';

const scratch = new Scratch();
const tieScratch = new Scratch();

/** The load share least-outstanding minimises: in flight, this request included, over capacity. */
export const outstandingShare = (inflight: number, capacity: number): number =>
  capacity > 0 ? (inflight + 1) / capacity : Number.POSITIVE_INFINITY;

/** Least outstanding requests relative to capacity, ties by score; one draw among exact ties for first. */
export const leastOutstandingStrategy: SelectionStrategy = {
  name: 'least-outstanding',
  select(t: CandidateTable, random: () => number, limit = t.length): Selection {
    const n = t.length;
    const k = Math.min(Math.max(0, limit), n);
    if (k === 0) return { order: [], draws: [] };
    const share = scratch.f64(n);
    for (let i = 0; i < n; i++) share[i] = outstandingShare(t.inflight[i] as number, t.capacity[i] as number);
    const { score } = t;
    const ranked = rankBy(n, k, (a, b) => {
      const sa = share[a] as number;
      const sb = share[b] as number;
      if (sa !== sb) return sa < sb ? -1 : 1;
      return (score[b] as number) - (score[a] as number) || a - b;
    });
    const first = ranked.order[0] as number;
    const bestShare = share[first] as number;
    const bestScore = score[first] as number;
    const ties = tieScratch.i32(n);
    let g = 0;
    for (let i = 0; i < n; i++) if (share[i] === bestShare && score[i] === bestScore) ties[g++] = i;
    if (g <= 1) return ranked;
    const u = random();
    const start = drawIndex(u, g);
    // The tied group fills the first min(g, k) places of the ranking (in index order): rotate it.
    const head = Math.min(g, k);
    const order: number[] = [];
    for (let j = 0; j < head; j++) order.push(ties[(start + j) % g] as number);
    for (let j = head; j < k; j++) order.push(ranked.order[j] as number);
    return { order, draws: [u] };
  },
};
