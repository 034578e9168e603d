// The circuit breaker state machine (core health/circuit-breaker.ts): examples of each
// transition, and properties over random outcome sequences checked against a plain model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Breaker, CircuitSettings } from '../../../layers/core/src/index.ts';
import {
  admit,
  breakerAt,
  closedBreaker,
  DEFAULT_CIRCUIT_SETTINGS,
  recordOutcome,
  releaseTrial,
  tripReason,
} from '../../../layers/core/src/index.ts';

const S: CircuitSettings = {
  failure_threshold: 3,
  error_rate_threshold: 0.5,
  min_requests: 6,
  window_ms: 10_000,
  cooldown_ms: 1_000,
};

const feed = (b: Breaker, outcomes: Array<[boolean, number]>, s = S): Breaker =>
  outcomes.reduce(
    (acc, [ok, at]) => recordOutcome(acc, { ok, at, detail: ok ? undefined : 'connection' }, s),
    b,
  );

describe('circuit breaker', () => {
  it('has the documented defaults (the policy schema defaults)', () => {
    expect(DEFAULT_CIRCUIT_SETTINGS).toEqual({
      failure_threshold: 5,
      error_rate_threshold: 0.5,
      min_requests: 20,
      window_ms: 60_000,
      cooldown_ms: 30_000,
    });
  });

  it('opens after failure_threshold consecutive failures, not before', () => {
    const two = feed(closedBreaker(), [
      [false, 1],
      [false, 2],
    ]);
    expect(two.state).toBe('closed');
    expect(two.consecutive_failures).toBe(2);
    const three = feed(two, [[false, 3]]);
    expect(three).toMatchObject({ state: 'open', opened_at: 3 });
    expect(three.reason).toBe('3 consecutive failures (threshold 3); last: connection');
  });

  it('a success resets the consecutive count', () => {
    const b = feed(closedBreaker(), [
      [false, 1],
      [false, 2],
      [true, 3],
      [false, 4],
      [false, 5],
    ]);
    expect(b).toMatchObject({ state: 'closed', consecutive_failures: 2 });
  });

  it('opens on an error rate over the threshold once the window has min_requests', () => {
    // Alternating failures never reach 3 in a row, but 3 of 6 is 50%.
    const outcomes: Array<[boolean, number]> = [
      [false, 1],
      [true, 2],
      [false, 3],
      [true, 4],
      [false, 5],
    ];
    expect(feed(closedBreaker(), outcomes).state).toBe('closed');
    const b = feed(closedBreaker(), [...outcomes, [true, 6]]);
    expect(b.state).toBe('closed'); // a success never opens it
    const opened = feed(b, [[false, 7]]);
    expect(opened.state).toBe('open');
    expect(opened.reason).toMatch(/^error rate 57.1% over 7 requests in 10000 ms/);
  });

  it('forgets outcomes older than the window', () => {
    const old: Array<[boolean, number]> = [
      [false, 0],
      [true, 1],
      [false, 2],
      [true, 3],
      [false, 4],
      [true, 5],
    ];
    const b = feed(closedBreaker(), [...old, [false, 30_000]]);
    expect(b.state).toBe('closed');
  });

  it('goes half-open after the cooldown, admits one trial, closes on its success', () => {
    const open = feed(closedBreaker(), [
      [false, 1],
      [false, 2],
      [false, 3],
    ]);
    expect(admit(open, 500, S).admitted).toBe(false);
    expect(breakerAt(open, 1_002, S).state).toBe('open');
    expect(breakerAt(open, 1_003, S).state).toBe('half-open');
    const first = admit(open, 1_003, S);
    expect(first.admitted).toBe(true);
    expect(first.breaker.trial_at).toBe(1_003);
    expect(admit(first.breaker, 1_004, S).admitted).toBe(false); // one trial at a time
    const closed = recordOutcome(first.breaker, { ok: true, at: 1_010 }, S);
    expect(closed).toEqual(closedBreaker());
  });

  it('re-opens when the trial fails, with a new cooldown', () => {
    const open = feed(closedBreaker(), [
      [false, 1],
      [false, 2],
      [false, 3],
    ]);
    const trial = admit(open, 2_000, S).breaker;
    const again = recordOutcome(trial, { ok: false, at: 2_050, detail: 'timeout' }, S);
    expect(again).toMatchObject({
      state: 'open',
      opened_at: 2_050,
      reason: 'trial after cooldown failed (timeout)',
    });
    expect(admit(again, 2_500, S).admitted).toBe(false);
    expect(admit(again, 3_050, S).admitted).toBe(true);
  });

  it('frees a trial slot that ended without a verdict, or that never reported back', () => {
    const open = feed(closedBreaker(), [
      [false, 1],
      [false, 2],
      [false, 3],
    ]);
    const trial = admit(open, 2_000, S).breaker;
    expect(admit(releaseTrial(trial), 2_001, S).admitted).toBe(true);
    expect(admit(trial, 3_001, S).admitted).toBe(true);
  });

  it('ignores outcomes that reach an open circuit late', () => {
    const open = feed(closedBreaker(), [
      [false, 1],
      [false, 2],
      [false, 3],
    ]);
    expect(recordOutcome(open, { ok: true, at: 10 }, S)).toBe(open);
  });

  it('tripReason says nothing under the thresholds', () => {
    expect(tripReason(2, { requests: 100, failures: 10, error_rate: 0.1 }, S)).toBeUndefined();
    expect(tripReason(0, { requests: 5, failures: 5, error_rate: 1 }, S)).toBeUndefined();
  });
});

describe('circuit breaker properties', () => {
  const settings = fc.record({
    failure_threshold: fc.integer({ min: 1, max: 6 }),
    error_rate_threshold: fc.double({ min: 0.05, max: 1, noNaN: true }),
    min_requests: fc.integer({ min: 1, max: 12 }),
    window_ms: fc.integer({ min: 100, max: 5_000 }),
    cooldown_ms: fc.integer({ min: 10, max: 2_000 }),
  });
  // Events: an attempt outcome (after an admit) or the passage of time.
  const events = fc.array(
    fc.record({ ok: fc.boolean(), gap: fc.integer({ min: 0, max: 700 }), tryAdmit: fc.boolean() }),
    { maxLength: 80 },
  );

  it('matches a plain model of the rules on any sequence', () => {
    fc.assert(
      fc.property(settings, events, (s, evs) => {
        let b = closedBreaker();
        let now = 0;
        // The model: state, consecutive failures, opened-at, trial, and the raw outcomes in the window.
        let state: 'closed' | 'open' | 'half-open' = 'closed';
        let consecutive = 0;
        let openedAt = 0;
        let trial: number | undefined;
        let window: Array<{ at: number; ok: boolean }> = [];
        for (const ev of evs) {
          now += ev.gap;
          if (state === 'open' && now - openedAt >= s.cooldown_ms) {
            state = 'half-open';
            trial = undefined;
          }
          // Admission.
          let admitted: boolean;
          if (state === 'closed') admitted = true;
          else if (state === 'open') admitted = false;
          else admitted = trial === undefined || now - trial >= s.cooldown_ms;
          if (state === 'half-open' && admitted) trial = now;
          const decision = admit(b, now, s);
          expect(decision.admitted).toBe(admitted);
          b = decision.breaker;
          expect(b.state).toBe(state);
          if (!admitted || !ev.tryAdmit) continue;
          // Outcome of the admitted attempt.
          b = recordOutcome(b, { ok: ev.ok, at: now }, s);
          if (state === 'half-open') {
            if (ev.ok) {
              state = 'closed';
              consecutive = 0;
              window = [];
            } else {
              state = 'open';
              openedAt = now;
              consecutive++;
            }
          } else {
            consecutive = ev.ok ? 0 : consecutive + 1;
            window.push({ at: now, ok: ev.ok });
            if (!ev.ok) {
              // The bucketed window holds at least the last window_ms - bucket and at most window_ms.
              const exact = window.filter((o) => o.at > now - s.window_ms);
              const failures = exact.filter((o) => !o.ok).length;
              const byCount = consecutive >= s.failure_threshold;
              if (byCount) {
                state = 'open';
                openedAt = now;
              } else if (b.state === 'open') {
                // Opened on the error rate: the window must justify it.
                const total = b.window.buckets.reduce((a, k) => a + k.requests, 0);
                const bad = b.window.buckets.reduce((a, k) => a + k.failures, 0);
                expect(total).toBeGreaterThanOrEqual(s.min_requests);
                expect(bad / total).toBeGreaterThanOrEqual(s.error_rate_threshold);
                expect(total).toBeLessThanOrEqual(window.length);
                expect(failures).toBeLessThanOrEqual(bad + window.length);
                state = 'open';
                openedAt = now;
              }
            }
          }
          expect(b.state).toBe(state);
          expect(b.consecutive_failures).toBe(consecutive);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never admits an attempt while open; half-open, an unanswered trial blocks others for a cooldown', () => {
    fc.assert(
      fc.property(settings, events, (s, evs) => {
        let b = closedBreaker();
        let now = 0;
        let outstanding: number | undefined;
        for (const ev of evs) {
          now += ev.gap;
          const before = breakerAt(b, now, s);
          if (before.state !== 'half-open') outstanding = undefined;
          const d = admit(b, now, s);
          if (before.state === 'open') expect(d.admitted).toBe(false);
          if (before.state === 'half-open') {
            const blocked = outstanding !== undefined && now - outstanding < s.cooldown_ms;
            expect(d.admitted).toBe(!blocked);
            if (d.admitted) outstanding = now;
          }
          b = d.breaker;
          if (d.admitted && ev.tryAdmit) {
            b = recordOutcome(b, { ok: ev.ok, at: now }, s);
            outstanding = undefined;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
