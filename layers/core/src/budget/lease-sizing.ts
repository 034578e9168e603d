// How big a lease a router container takes (or adds to the one it holds), and when it gives one
// back (pure; time is an argument). A lease aims to cover the container's recent demand over a
// horizon (a decayed rate of what it reserved; longer when many leases share the item), at least
// a few reservations of the size asked now, and at most a share of what the store has not leased
// out: with plenty left, few store writes; near exhaustion the share shrinks to single
// reservations, so little budget sits idle in other containers.

export interface LeasePolicy {
  /** A lease aims to cover this long of the container's recent demand... */
  horizonMs: number;
  /**
   * ...or longer when many leases share the budget item, so that all of them together write it
   * about this often (each write costs one write unit per KB of the item, which grows per lease).
   */
  itemWritesPerSecond: number;
  /** ...and at least this many reservations of the size asked now. */
  minReservations: number;
  /** ...and at most this share of what the store has not leased out (0..1]... */
  maxShare: number;
  /**
   * ...and at most this share divided by the number of leases on the item: together, one round
   * of top-ups takes about this share of what is left, so as a budget runs low every container's
   * slice shrinks with it and none holds much that another one could have used.
   */
  fairShare: number;
  /** Lease lifetime from its last renewal; from `expires_at` on the sweeper may settle it at its full amount. */
  ttlMs: number;
  /** A lease in use (or with requests in flight) is renewed when it has less than this left. */
  renewBeforeMs: number;
  /** A lease takes no new reservations in its last `drainMs` (if renewing it failed). */
  drainMs: number;
  /** A lease unused for this long is returned (longer for a container whose requests are sparse). */
  idleReturnMs: number;
  /** A refusal is remembered this long: requests it refuses cost no store write. */
  refusalCacheMs: number;
  /** Retry-After of a `held` refusal (what other routers lease comes back within seconds). */
  heldRetryMs: number;
  /** Time constant of the demand rate. */
  rateTauMs: number;
}

export const DEFAULT_LEASE_POLICY: Readonly<LeasePolicy> = {
  horizonMs: 10_000,
  itemWritesPerSecond: 20,
  minReservations: 8,
  maxShare: 0.05,
  fairShare: 0.5,
  ttlMs: 60_000,
  renewBeforeMs: 30_000,
  drainMs: 10_000,
  idleReturnMs: 2_000,
  refusalCacheMs: 1_000,
  heldRetryMs: 5_000,
  rateTauMs: 10_000,
};

/**
 * A container's demand: decayed sums of what it reserved (amount and count) as of `at` (epoch
 * ms), and the moving average of the gaps between its reservations (none after the first).
 */
export interface DemandRate {
  amount: number;
  count: number;
  at: number;
  /** The first reservation (the sums cover at most the time since). */
  since: number;
  gap_ms?: number;
}

/** Weight of the newest gap in the moving average. */
const GAP_WEIGHT = 0.25;

/** The demand rate after a reservation of `amount` at `now`. */
export function addDemand(
  rate: DemandRate | undefined,
  amount: number,
  now: number,
  tauMs: number,
): DemandRate {
  if (!rate) return { amount, count: 1, at: now, since: now };
  const elapsed = Math.max(0, now - rate.at);
  const decay = Math.exp(-elapsed / tauMs);
  return {
    amount: rate.amount * decay + amount,
    count: rate.count * decay + 1,
    at: now,
    since: rate.since,
    gap_ms: rate.gap_ms === undefined ? elapsed : rate.gap_ms + GAP_WEIGHT * (elapsed - rate.gap_ms),
  };
}

/** The shortest history a rate is measured over (one reservation is not a rate over 0 ms). */
export const MIN_RATE_WINDOW_MS = 2_000;

/**
 * Demand per ms at `now` (amount and reservations): the decayed sums over the time they cover,
 * the time constant once the history is long, less while it is young (so a container's first
 * seconds are not taken for a trickle).
 */
export function demandPerMs(
  rate: DemandRate | undefined,
  now: number,
  tauMs: number,
): { amount: number; count: number } {
  if (!rate) return { amount: 0, count: 0 };
  const decay = Math.exp(-Math.max(0, now - rate.at) / tauMs);
  const history = Math.max(MIN_RATE_WINDOW_MS, now - rate.since);
  const window = tauMs * (1 - Math.exp(-history / tauMs));
  return { amount: (rate.amount * decay) / window, count: (rate.count * decay) / window };
}

export interface LeaseSizeInput {
  /** What must fit now (the reservations waiting for this lease). */
  need: number;
  /** The container's demand (amount per ms). */
  amountPerMs: number;
  /** What the store had not leased out when last seen. */
  available: number;
  /** Leases on the budget item when last seen. */
  leases: number;
}

/**
 * The amount to lease (or to add to a lease): `max(need, min(demand over the horizon or
 * minReservations x need, share x available))`, never more than `available`, where the share is
 * `min(maxShare, fairShare / leases)`. When `need` exceeds `available` the answer is `need` (the
 * lease will be refused, and says why).
 */
export function leaseSize(input: LeaseSizeInput, policy: LeasePolicy = DEFAULT_LEASE_POLICY): number {
  const { need, available } = input;
  if (need >= available) return need;
  const horizon = Math.max(policy.horizonMs, (input.leases * 1000) / policy.itemWritesPerSecond);
  const desired = Math.max(Math.ceil(input.amountPerMs * horizon), need * policy.minReservations);
  const share = Math.min(policy.maxShare, policy.fairShare / Math.max(1, input.leases));
  const cap = Math.floor(available * share);
  return Math.min(available, Math.max(need, Math.min(desired, cap)));
}

/**
 * How long a lease may sit unused before it is returned: `idleReturnMs`, or eight average gaps
 * between this container's reservations when they are sparser (so a slow container does not
 * return and re-lease between every two requests), at most `renewBeforeMs`.
 */
export function idleReturnAfterMs(
  gapMs: number | undefined,
  policy: LeasePolicy = DEFAULT_LEASE_POLICY,
): number {
  if (gapMs === undefined) return policy.idleReturnMs;
  return Math.min(policy.renewBeforeMs, Math.max(policy.idleReturnMs, Math.ceil(8 * gapMs)));
}
