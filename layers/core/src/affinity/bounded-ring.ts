// Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, "Consistent Hashing
// with Bounded Loads", SODA 2018). Members (an endpoint's replicas) sit on a 32-bit hash ring at
// virtual nodes, VNODES_PER_WEIGHT per unit of endpoint weight; a key goes to the first member
// clockwise from its hash that is eligible and has room: its load with this request stays within
//   bound = ceil((1 + ε) × total × weight / total weight)
// where total is the in-flight requests over the eligible members plus this one. The bounds sum
// to at least total, so some eligible member always has room (with integer loads); a member
// full now sends its keys to the next one on the ring, and they come back once it drains.
// Consistency: a member leaving (down, circuit open, excluded) moves only the keys it held;
// the ring depends only on the members' ids and weights, not their order in the registry.
// Pure; the walk allocates nothing (scratch arrays are grown once).
import { hash32 } from '../random.ts';

/**
 * Virtual nodes per unit of weight (weight 1, the default: 400 points on the ring). Fewer spread
 * keys unevenly: at 160, eight replicas' shares of the ring ranged over ±15%, and the busiest
 * replica's load with it (the affinity bench).
 */
export const VNODES_PER_WEIGHT = 400;
/** At most this many virtual nodes for one member, whatever its weight. */
export const MAX_VNODES = 4000;
/** Packs a point's member index under its hash in one float64 (exact up to 2^53). */
const MEMBER_SPAN = 2 ** 21;

export interface RingMember {
  readonly id: string;
  /** Relative share of keys and of the load bound; 0 puts the member nowhere on the ring. */
  readonly weight: number;
}

/** The virtual nodes of a member of `weight`: 0 for no weight, else at least 1. */
export const vnodesFor = (weight: number): number =>
  weight > 0 ? Math.min(MAX_VNODES, Math.max(1, Math.round(weight * VNODES_PER_WEIGHT))) : 0;

/** A member's load bound: ceil((1 + ε) × total × weight / totalWeight), read with a 1e-9 slack for rounding. */
export function loadBound(total: number, weight: number, totalWeight: number, epsilon: number): number {
  if (!(totalWeight > 0) || !(weight > 0)) return 0;
  return Math.ceil(((1 + epsilon) * total * weight) / totalWeight - 1e-9);
}

export class HashRing {
  /** Sorted hash of each virtual node. */
  readonly points: Uint32Array;
  /** Member index of each virtual node. */
  readonly owners: Int32Array;
  readonly weights: Float64Array;

  constructor(readonly members: readonly RingMember[]) {
    if (members.length >= MEMBER_SPAN) throw new RangeError(`a ring holds fewer than ${MEMBER_SPAN} members`);
    let size = 0;
    for (const m of members) size += vnodesFor(m.weight);
    const packed = new Float64Array(size);
    let k = 0;
    members.forEach((m, j) => {
      const count = vnodesFor(m.weight);
      for (let v = 0; v < count; v++) packed[k++] = hash32(`${m.id}\u0000${v}`) * MEMBER_SPAN + j;
    });
    packed.sort();
    this.points = new Uint32Array(size);
    this.owners = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const p = packed[i] as number;
      const owner = p % MEMBER_SPAN;
      this.owners[i] = owner;
      this.points[i] = (p - owner) / MEMBER_SPAN;
    }
    this.weights = Float64Array.from(members, (m) => m.weight);
  }

  /** The index of the first virtual node at or after `point`, wrapping to 0. */
  start(point: number): number {
    const { points } = this;
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((points[mid] as number) < point) lo = mid + 1;
      else hi = mid;
    }
    return lo === points.length ? 0 : lo;
  }
}

/** Why the walk passed a member over: not eligible now, or full. */
export const SKIP_NOT_ELIGIBLE = 1;
export const SKIP_OVER_BOUND = 2;

export interface RingPick {
  /** The chosen member, or -1 when no eligible member has room. */
  member: number;
  /** The chosen member's bound (0 when none was chosen). */
  bound: number;
  /** Members passed over before the choice, in ring order, with why (SKIP_*). */
  skipped: number[];
  skippedWhy: number[];
  /** The bound of each member passed over for being full (0 for the others). */
  skippedBound: number[];
}

let seen = new Uint8Array(0);

/**
 * The member for `keyPoint` (a 32-bit hash) under bounded loads. `load[j]` is member j's requests
 * in flight; `eligible[j]` is 0 for members that may not serve (excluded, down, circuit open).
 * Only eligible members count towards the total and the total weight. `maxSkipped` caps the
 * skipped list (the walk goes on).
 */
export function pickOnRing(
  ring: HashRing,
  keyPoint: number,
  load: ArrayLike<number>,
  eligible: ArrayLike<number>,
  epsilon: number,
  maxSkipped = 8,
): RingPick {
  const m = ring.members.length;
  let total = 1;
  let totalWeight = 0;
  for (let j = 0; j < m; j++) {
    if (eligible[j] === 0) continue;
    total += load[j] as number;
    totalWeight += ring.weights[j] as number;
  }
  const out: RingPick = { member: -1, bound: 0, skipped: [], skippedWhy: [], skippedBound: [] };
  const size = ring.points.length;
  if (size === 0) return out;
  if (seen.length < m) seen = new Uint8Array(Math.max(64, 2 ** Math.ceil(Math.log2(m))));
  seen.fill(0, 0, m);
  const skip = (j: number, why: number, bound: number) => {
    if (out.skipped.length >= maxSkipped) return;
    out.skipped.push(j);
    out.skippedWhy.push(why);
    out.skippedBound.push(bound);
  };
  let visited = 0;
  for (let i = ring.start(keyPoint >>> 0), step = 0; step < size && visited < m; step++, i++) {
    if (i === size) i = 0;
    const j = ring.owners[i] as number;
    if (seen[j] === 1) continue;
    seen[j] = 1;
    visited++;
    if (eligible[j] === 0) {
      skip(j, SKIP_NOT_ELIGIBLE, 0);
      continue;
    }
    const bound = loadBound(total, ring.weights[j] as number, totalWeight, epsilon);
    if ((load[j] as number) + 1 <= bound) {
      out.member = j;
      out.bound = bound;
      return out;
    }
    skip(j, SKIP_OVER_BOUND, bound);
  }
  return out;
}
