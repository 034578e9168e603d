// The simulated endpoints' prefix cache (infra/local/sim-prefix-cache.ts): LRU with a TTL over
// conversation keys, on an injected clock, and the latency a hit saves.
import { describe, expect, it } from 'vitest';
import { PrefixCache, prefilledLatencyMs } from '../../../infra/local/sim-prefix-cache.ts';

const cacheAt = (clock: { t: number }, max = 3, ttl = 1000) =>
  new PrefixCache({ ttft_factor: 0.3, ttl_ms: ttl, max_entries: max }, () => clock.t);

describe('PrefixCache', () => {
  it('misses a new key, then hits it', () => {
    const clock = { t: 0 };
    const c = cacheAt(clock);
    expect(c.use('a')).toBe(false);
    expect(c.use('a')).toBe(true);
    expect(c.use('b')).toBe(false);
    expect([c.hits, c.misses, c.size]).toEqual([1, 2, 2]);
  });

  it('expires a key ttl_ms after its last use: a hit 1 ms before, a miss at the expiry', () => {
    const clock = { t: 0 };
    const c = cacheAt(clock);
    c.use('a');
    clock.t = 999;
    expect(c.use('a')).toBe(true); // and refreshed until 1999
    clock.t = 1998;
    expect(c.use('a')).toBe(true); // refreshed until 2998
    clock.t = 2998;
    expect(c.use('a')).toBe(false);
  });

  it('evicts the least recently used key beyond max_entries', () => {
    const clock = { t: 0 };
    const c = cacheAt(clock, 2);
    c.use('a');
    c.use('b');
    c.use('a'); // a is now the most recent
    c.use('c'); // evicts b
    expect(c.size).toBe(2);
    expect(c.use('a')).toBe(true);
    expect(c.use('b')).toBe(false);
  });
});

describe('prefilledLatencyMs', () => {
  it('a stream waits the time to first token, ttft_factor of it on a hit', () => {
    expect(prefilledLatencyMs({ latency_ms: 500, ttft_ms: 200 }, true, false, 0.3)).toBe(200);
    expect(prefilledLatencyMs({ latency_ms: 500, ttft_ms: 200 }, true, true, 0.3)).toBe(60);
  });

  it('a buffered answer saves the same part of its latency', () => {
    expect(prefilledLatencyMs({ latency_ms: 500, ttft_ms: 200 }, false, false, 0.3)).toBe(500);
    expect(prefilledLatencyMs({ latency_ms: 500, ttft_ms: 200 }, false, true, 0.3)).toBe(360);
  });

  it('without ttft_ms the latency is the time to first token', () => {
    expect(prefilledLatencyMs({ latency_ms: 100 }, true, true, 0.5)).toBe(50);
    expect(prefilledLatencyMs({ latency_ms: 100 }, false, true, 0.5)).toBe(50);
  });

  it('never goes below 0', () => {
    expect(prefilledLatencyMs({ latency_ms: 10, ttft_ms: 100 }, false, true, 0)).toBe(0);
  });
});
