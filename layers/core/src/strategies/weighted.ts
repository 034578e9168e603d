// Weighted random selection: each candidate's share is its score times its endpoint weight; the
// order is drawn without replacement, one draw per position while two or more candidates with a
// positive share remain. A Fenwick tree over the shares makes each draw O(log n), so ranking the
// head of 10,000 candidates stays cheap. Zero-share candidates come last, in index order.
// With no limit the order is a permutation; with one, only the head is ranked.
import type { CandidateTable, Selection, SelectionStrategy } from './strategy.ts';
import { completeOrder, Scratch } from './strategy.ts';

const scratch = new Scratch();
const treeScratch = new Scratch();

/** Scores are floored so a positive endpoint weight always leaves a (tiny) positive share. */
const SCORE_FLOOR = 1e-6;

/** The weighted-random share of a candidate (before normalisation). */
export const weightedShare = (score: number, weight: number): number =>
  weight > 0 ? Math.max(score, SCORE_FLOOR) * weight : 0;

/** Weighted random strategy: shares are score x endpoint weight, drawn without replacement. */
export const weightedStrategy: SelectionStrategy = {
  name: 'weighted',
  select(t: CandidateTable, random: () => number, limit = t.length): Selection {
    const n = t.length;
    const k = Math.min(limit, n);
    const shares = scratch.f64(n);
    const tree = treeScratch.f64(n + 1);
    let total = 0;
    let positive = 0;
    for (let i = 0; i < n; i++) {
      const s = weightedShare(t.score[i] as number, t.weight[i] as number);
      shares[i] = s;
      tree[i + 1] = s;
      total += s;
      if (s > 0) positive++;
    }
    for (let i = 1; i <= n; i++) {
      const j = i + (i & -i);
      if (j <= n) tree[j] = (tree[j] as number) + (tree[i] as number);
    }
    let top = 1;
    while (top * 2 <= n) top *= 2;
    const taken = scratch.u8(n);
    const order: number[] = [];
    const draws: number[] = [];
    while (order.length < k && positive > 0) {
      let pick = -1;
      if (positive > 1) {
        const u = random();
        draws.push(u);
        // The first candidate whose cumulative share exceeds u * total.
        let rest = u * total;
        let pos = 0;
        for (let step = top; step > 0; step >>= 1) {
          const next = pos + step;
          if (next <= n && (tree[next] as number) <= rest) {
            pos = next;
            rest -= tree[next] as number;
          }
        }
        pick = pos;
      }
      if (pick < 0 || pick >= n || taken[pick] === 1 || shares[pick] === 0) {
        pick = nearestPositive(shares, taken, pick); // rounding at the ends of the range
        if (pick < 0) break;
      }
      taken[pick] = 1;
      order.push(pick);
      const s = shares[pick] as number;
      total -= s;
      positive--;
      for (let j = pick + 1; j <= n; j += j & -j) tree[j] = (tree[j] as number) - s;
    }
    return { order: completeOrder(order, taken, k), draws };
  },
};

/** The last untaken positive-share index at or before `from`, else the first after it (rounding). */
function nearestPositive(shares: Float64Array, taken: Uint8Array, from: number): number {
  const start = Math.min(Math.max(from, 0), shares.length - 1);
  for (let i = start; i >= 0; i--) if (taken[i] === 0 && (shares[i] as number) > 0) return i;
  for (let i = start + 1; i < shares.length; i++) if (taken[i] === 0 && (shares[i] as number) > 0) return i;
  return -1;
}
