// The simulated endpoints' prefix cache over real HTTP (both kinds): a chat request that opens
// like one the endpoint served within the TTL is a hit (counted in its stats), on an injected
// clock; other conversations, other endpoints and expired keys are misses; endpoints without a
// prefix cache count neither; setProfile turns one on.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type SimEndpointConfig,
  type SimEndpoints,
  startSimEndpoints,
} from '../../infra/local/sim-endpoints.server.ts';

const CACHE = { ttft_factor: 0.3, ttl_ms: 1000, max_entries: 16 };
const config = (id: string, kind: SimEndpointConfig['kind'], extra: Partial<SimEndpointConfig> = {}) =>
  ({
    id,
    kind,
    target: kind === 'sagemaker' ? `switchyard-${id}` : 'ignored',
    model: 'm',
    upstream_model: 'm-up',
    latency_ms: 0,
    jitter_ms: 0,
    error_rate: 0,
    ...extra,
  }) satisfies SimEndpointConfig;

let sim: SimEndpoints | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const clock = { t: 1_000_000 };
async function start(endpoints: SimEndpointConfig[]): Promise<SimEndpoints> {
  sim = await startSimEndpoints({ endpoints, now: () => clock.t });
  return sim;
}

const turn = (opening: string, n: number) => ({
  model: 'm-up',
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: opening },
    ...Array.from({ length: n - 1 }, (_, i) => [
      { role: 'assistant', content: `answer ${i}` },
      { role: 'user', content: `follow-up ${i}` },
    ]).flat(),
  ],
});

async function ask(s: SimEndpoints, id: string, body: unknown): Promise<number> {
  const e = s.list().find((x) => x.id === id);
  const url = e?.kind === 'sagemaker' ? e.url : `${e?.url}/chat/completions`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

const cacheStats = (s: SimEndpoints, id: string) => {
  const { prefix_hits, prefix_misses } = s.stats(id);
  return [prefix_hits, prefix_misses];
};

describe('simulated prefix cache', () => {
  it('turns of one conversation hit on the endpoint that served it, on both kinds', async () => {
    const s = await start([
      config('gpu', 'openai-http', { prefix_cache: CACHE }),
      config('sm', 'sagemaker', { prefix_cache: CACHE }),
    ]);
    for (const id of ['gpu', 'sm']) {
      expect(await ask(s, id, turn('hello', 1))).toBe(200);
      expect(await ask(s, id, turn('hello', 2))).toBe(200);
      expect(await ask(s, id, turn('hello', 3))).toBe(200);
      expect(await ask(s, id, turn('another conversation', 1))).toBe(200);
      expect(cacheStats(s, id)).toEqual([2, 2]);
    }
  });

  it('another endpoint has not seen the prefix: a miss there', async () => {
    const s = await start([
      config('a', 'openai-http', { prefix_cache: CACHE }),
      config('b', 'openai-http', { prefix_cache: CACHE }),
    ]);
    await ask(s, 'a', turn('hello', 1));
    await ask(s, 'b', turn('hello', 2));
    expect(cacheStats(s, 'a')).toEqual([0, 1]);
    expect(cacheStats(s, 'b')).toEqual([0, 1]);
  });

  it('a key expires ttl_ms after its last use', async () => {
    const s = await start([config('a', 'openai-http', { prefix_cache: CACHE })]);
    await ask(s, 'a', turn('hello', 1));
    clock.t += 999;
    await ask(s, 'a', turn('hello', 2));
    clock.t += 1000;
    await ask(s, 'a', turn('hello', 3));
    expect(cacheStats(s, 'a')).toEqual([1, 2]);
  });

  it('counts nothing without a prefix cache, or for requests that are not chat', async () => {
    const s = await start([config('a', 'openai-http'), config('c', 'openai-http', { prefix_cache: CACHE })]);
    await ask(s, 'a', turn('hello', 1));
    await ask(s, 'a', turn('hello', 2));
    expect(cacheStats(s, 'a')).toEqual([0, 0]);
    const e = s.list().find((x) => x.id === 'c');
    await fetch(`${e?.url}/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm-up', prompt: 'hi' }),
    });
    expect(cacheStats(s, 'c')).toEqual([0, 0]);
  });

  it('setProfile turns a prefix cache on (empty) and off, and validates it', async () => {
    const s = await start([config('a', 'openai-http')]);
    s.setProfile('a', { prefix_cache: CACHE });
    await ask(s, 'a', turn('hello', 1));
    await ask(s, 'a', turn('hello', 2));
    expect(cacheStats(s, 'a')).toEqual([1, 1]);
    s.setProfile('a', { prefix_cache: undefined });
    await ask(s, 'a', turn('hello', 3));
    expect(cacheStats(s, 'a')).toEqual([1, 1]);
    expect(() => s.setProfile('a', { prefix_cache: { ...CACHE, ttft_factor: 2 } })).toThrow(
      'sim endpoint a: prefix_cache.ttft_factor must be between 0 and 1',
    );
    expect(() => s.setProfile('a', { prefix_cache: { ...CACHE, max_entries: 0 } })).toThrow(
      'sim endpoint a: prefix_cache.max_entries must be a positive integer',
    );
  });
});
