// Freshness of health records: a record older than the freshness window says nothing (the table's
// TTL deletes lazily, so an old item may still be there): its status reads as `unknown`, and its
// circuit and figures are ignored, exactly as route() treats it.
import type { EndpointHealth, HealthStatus } from '../route.types.ts';

/** Whether `health` was measured within `freshMs` of `now`. */
export function isFresh(
  health: Pick<EndpointHealth, 'checked_at'> | undefined,
  now: number,
  freshMs: number,
): boolean {
  return health !== undefined && Number.isFinite(health.checked_at) && now - health.checked_at <= freshMs;
}

/** The status a decision at `now` would see: the record's when fresh, else `unknown`. */
export function effectiveStatus(
  health: EndpointHealth | undefined,
  now: number,
  freshMs: number,
): HealthStatus {
  return health && isFresh(health, now, freshMs) ? health.status : 'unknown';
}
