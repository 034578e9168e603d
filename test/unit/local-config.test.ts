// The simulated endpoints the local stack builds from a registry (local-config.ts): each one takes
// the registry's word on what its upstream does (supports_n, the model's embedding dimensions),
// and the `local:` profile's figures over the defaults.
import { describe, expect, it } from 'vitest';
import { localConfigFrom, simEndpointsFor } from '../../infra/local/local-config.ts';
import { RegistrySchema } from '../../layers/core/src/index.ts';

const registry = RegistrySchema.parse({
  models: [
    { id: 'chat-m', version: 'v1', tasks: ['chat'], context_window: 4096, regions: ['us-east-1'] },
    {
      id: 'emb',
      version: 'v1',
      tasks: ['embedding'],
      context_window: 512,
      regions: ['us-east-1'],
      embedding: { dimensions: 384 },
    },
    {
      id: 'emb',
      version: 'v2',
      tasks: ['embedding'],
      context_window: 512,
      regions: ['us-east-1'],
      embedding: { dimensions: 768, accepts_dimensions: true },
    },
  ],
  endpoints: [
    {
      id: 'vllm',
      model: 'chat-m',
      version: 'v1',
      kind: 'openai-http',
      target: 'http://v/v1',
      region: 'us-east-1',
      supports_n: true,
    },
    {
      id: 'tgi',
      model: 'chat-m',
      version: 'v1',
      kind: 'sagemaker',
      target: 'sm-tgi',
      region: 'us-east-1',
      supports_n: false,
    },
    { id: 'emb-1', model: 'emb', version: 'v1', kind: 'sagemaker', target: 'sm-emb-1', region: 'us-east-1' },
    {
      id: 'emb-2',
      model: 'emb',
      version: 'v2',
      kind: 'openai-http',
      target: 'http://e/v1',
      region: 'us-east-1',
    },
  ],
});

describe('simEndpointsFor', () => {
  it('passes supports_n and the served version`s embedding dimensions to the simulator', () => {
    const sims = simEndpointsFor(registry, localConfigFrom(undefined, 'test'));
    const facts = Object.fromEntries(sims.map((s) => [s.id, [s.supports_n, s.embedding_dimensions]]));
    expect(facts).toEqual({
      vllm: [true, undefined],
      tgi: [undefined, undefined],
      'emb-1': [undefined, 384],
      'emb-2': [undefined, 768],
    });
    expect(sims.every((s) => !('supports_n' in s) || s.supports_n === true)).toBe(true);
  });

  it('leaves out endpoints that say simulate: false', () => {
    const local = localConfigFrom({ endpoints: { 'emb-2': { simulate: false } } }, 'test');
    expect(simEndpointsFor(registry, local).map((s) => s.id)).toEqual(['vllm', 'tgi', 'emb-1']);
  });

  it('passes a prefix cache with its defaults filled in, per endpoint or from the defaults', () => {
    const local = localConfigFrom(
      {
        defaults: { prefix_cache: { ttl_ms: 60_000 } },
        endpoints: { tgi: { prefix_cache: { ttft_factor: 0.5 } } },
      },
      'test',
    );
    const caches = Object.fromEntries(simEndpointsFor(registry, local).map((s) => [s.id, s.prefix_cache]));
    expect(caches.vllm).toEqual({ ttft_factor: 0.3, ttl_ms: 60_000, max_entries: 1024 });
    // An endpoint's own profile replaces the defaults' prefix_cache as a whole.
    expect(caches.tgi).toEqual({ ttft_factor: 0.5, ttl_ms: 300_000, max_entries: 1024 });
    expect(simEndpointsFor(registry, localConfigFrom(undefined, 'test'))[0]).not.toHaveProperty(
      'prefix_cache',
    );
  });

  it('refuses a bad prefix cache, naming the field', () => {
    expect(() =>
      localConfigFrom({ defaults: { prefix_cache: { ttft_factor: 1.5 } } }, 'registry.yaml'),
    ).toThrow('registry.yaml: local.defaults.prefix_cache.ttft_factor');
    expect(() => localConfigFrom({ endpoints: { vllm: { prefix_cache: { ttl: 5 } } } }, 'r')).toThrow(
      'r: local.endpoints.vllm.prefix_cache',
    );
  });
});
