// Power of two choices over peak-EWMA latency (as in Finagle and Linkerd): for each position,
// draw two distinct remaining candidates uniformly and keep the one with the lower load cost
// `peak_ewma_ms * (inflight + 1)`; ties go to the higher score, then the lower index. Two draws
// per position; the last remaining candidate needs none. Cheap (O(limit) after an O(n) setup)
// and it avoids the herding on one replica that a pure "lowest latency" rule causes.
import type { CandidateTable, Selection, SelectionStrategy } from './strategy.ts';
import { completeOrder, drawIndex, Scratch } from './strategy.ts';

const scratch = new Scratch();

/** The load cost p2c minimises: peak-EWMA latency scaled by the queue it would join. */
export const p2cCost = (peakEwmaMs: number, inflight: number): number => peakEwmaMs * (inflight + 1);

/** Power-of-two-choices over peak-EWMA latency x (inflight + 1). */
export const p2cEwmaStrategy: SelectionStrategy = {
  name: 'p2c-ewma',
  select(t: CandidateTable, random: () => number, limit = t.length): Selection {
    const n = t.length;
    const k = Math.min(limit, n);
    const pool = scratch.i32(n);
    for (let i = 0; i < n; i++) pool[i] = i;
    let m = n;
    const taken = scratch.u8(n);
    const order: number[] = [];
    const draws: number[] = [];
    while (order.length < k && m > 0) {
      let pos = 0;
      if (m > 1) {
        const u1 = random();
        const u2 = random();
        draws.push(u1, u2);
        const i = drawIndex(u1, m);
        let j = drawIndex(u2, m - 1);
        if (j >= i) j++;
        pos = better(t, pool[i] as number, pool[j] as number) ? i : j;
      }
      const pick = pool[pos] as number;
      pool[pos] = pool[m - 1] as number;
      m--;
      taken[pick] = 1;
      order.push(pick);
    }
    return { order: completeOrder(order, taken, k), draws };
  },
};

function better(t: CandidateTable, a: number, b: number): boolean {
  const d =
    p2cCost(t.peak[a] as number, t.inflight[a] as number) -
    p2cCost(t.peak[b] as number, t.inflight[b] as number);
  if (d !== 0) return d < 0;
  const sa = t.score[a] as number;
  const sb = t.score[b] as number;
  if (sa !== sb) return sa > sb;
  return a < b;
}
