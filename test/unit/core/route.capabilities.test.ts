// The capability constraints of route(): chat `n > 1` only on endpoints with `supports_n` (rule
// n-choices) and an embeddings `dimensions` only on models that can return it (rule dimensions),
// each at its boundary; a request they empty is a 400 no_candidate naming the field; the cost
// estimate counts every choice; context_tokens replaces prompt + output for the window check.
import { describe, expect, it } from 'vitest';
import type { RouteRequest } from '../../../layers/core/src/index.ts';
import {
  canReturnDimensions,
  chatRouteRequest,
  EXCLUSION_RULES,
  NoCandidateError,
  RegistrySchema,
  route,
} from '../../../layers/core/src/index.ts';
import { compiled, ctx, endpoint, model, NO_HEALTH, policy, request } from './fixtures.ts';

const chatRegistry = compiled({
  models: [
    model('m', { cost: { input_per_1k: 0.5, output_per_1k: 0.25 } }),
    model('other', { cost: { input_per_1k: 0.5, output_per_1k: 0.25 } }),
  ],
  endpoints: [
    endpoint('vllm', 'm', { supports_n: true }),
    endpoint('tgi', 'm'),
    endpoint('tgi-false', 'm', { supports_n: false }),
    endpoint('other-tgi', 'other'),
  ],
  policies: [policy('p', { fallback: { count: 3, mode: 'cross-model' } })],
});

const embedRegistry = compiled({
  models: [
    model('fixed', { tasks: ['embedding'], embedding: { dimensions: 384 } }),
    model('shorten', { tasks: ['embedding'], embedding: { dimensions: 1536, accepts_dimensions: true } }),
    model('undeclared', { tasks: ['embedding'] }),
  ],
  endpoints: [
    endpoint('e-fixed', 'fixed'),
    endpoint('e-shorten', 'shorten'),
    endpoint('e-undeclared', 'undeclared'),
  ],
  policies: [policy('emb', { fallback: { count: 3, mode: 'cross-model' } })],
});

const endpointsOf = (r: RouteRequest, registry = chatRegistry): string[] => {
  const { plan } = route(r, { registry, health: NO_HEALTH }, ctx());
  return [plan.primary, ...plan.fallbacks].map((t) => t.endpoint).sort();
};
const failure = (r: RouteRequest, registry = chatRegistry): NoCandidateError => {
  try {
    route(r, { registry, health: NO_HEALTH }, ctx());
  } catch (err) {
    if (err instanceof NoCandidateError) return err;
    throw err;
  }
  throw new Error('expected NoCandidateError');
};

describe('chat n > 1 (rule n-choices)', () => {
  it('n absent or 1 keeps every endpoint; n 2 keeps only supports_n: true', () => {
    expect(endpointsOf(request({ model: 'p' }))).toEqual(['other-tgi', 'tgi', 'tgi-false', 'vllm']);
    expect(endpointsOf(request({ model: 'p', n: 1 }))).toEqual(['other-tgi', 'tgi', 'tgi-false', 'vllm']);
    expect(endpointsOf(request({ model: 'p', n: 2 }))).toEqual(['vllm']);
  });

  it('explains each excluded endpoint under n-choices, in the rule order after region', () => {
    const { explanation } = route(
      request({ model: 'p', n: 3 }),
      { registry: chatRegistry, health: NO_HEALTH },
      ctx(),
    );
    expect(explanation.excluded.map((x) => [x.endpoint, x.rule, x.reason])).toEqual([
      ['tgi', 'n-choices', 'endpoint does not return n > 1 choices (no supports_n), n = 3 asked'],
      ['tgi-false', 'n-choices', 'endpoint does not return n > 1 choices (no supports_n), n = 3 asked'],
      ['other-tgi', 'n-choices', 'endpoint does not return n > 1 choices (no supports_n), n = 3 asked'],
    ]);
    const at = EXCLUSION_RULES.indexOf('n-choices');
    expect(EXCLUSION_RULES.slice(at - 1, at + 2)).toEqual(['region', 'n-choices', 'endpoint-state']);
  });

  it('each endpoint reports the first rule it fails: region before n-choices before endpoint-state', () => {
    const registry = compiled({
      models: [model('m', { regions: ['us-east-1', 'eu-west-1'] })],
      endpoints: [
        endpoint('eu-no-n', 'm', { region: 'eu-west-1' }),
        endpoint('us-no-n-draining', 'm', { state: 'draining' }),
        endpoint('us-n-draining', 'm', { supports_n: true, state: 'draining' }),
        endpoint('us-n', 'm', { supports_n: true }),
      ],
    });
    const { explanation } = route(
      request({ model: 'm', n: 2, hints: { region: 'us-east-1' } }),
      { registry, health: NO_HEALTH },
      ctx(),
    );
    expect(explanation.excluded.map((x) => [x.endpoint, x.rule])).toEqual([
      ['eu-no-n', 'region'],
      ['us-no-n-draining', 'n-choices'],
      ['us-n-draining', 'endpoint-state'],
    ]);
  });

  it('with no endpoint supporting n: a 400 no_candidate whose param is n', () => {
    const err = failure(request({ model: 'other', n: 2 }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('no_candidate');
    expect(err.param).toBe('n');
    expect(err.rule).toBe('n-choices');
    expect(err.message).toBe(
      'No endpoint can serve this request: n-choices — no remaining endpoint returns n = 2 choices (none sets supports_n); 1 endpoint excluded (n-choices 1).',
    );
  });

  it('a draining supports_n endpoint: the set is emptied by endpoint-state, a 503', () => {
    const registry = compiled({
      models: [model('m')],
      endpoints: [endpoint('vllm', 'm', { supports_n: true, state: 'draining' }), endpoint('tgi', 'm')],
    });
    const err = failure(request({ model: 'm', n: 2 }), registry);
    expect(err.rule).toBe('endpoint-state');
    expect(err.status).toBe(503);
    expect(err.param).toBeNull();
  });

  it('the cost estimate counts the output once per choice', () => {
    // 100 prompt tokens at 0.5/1K = 0.05; 100 output tokens at 0.25/1K = 0.025 per choice.
    const one = route(request({ model: 'm' }), { registry: chatRegistry, health: NO_HEALTH }, ctx());
    const three = route(request({ model: 'm', n: 3 }), { registry: chatRegistry, health: NO_HEALTH }, ctx());
    expect(one.plan.primary.estimated_cost_usd).toBeCloseTo(0.075, 12);
    expect(three.plan.primary.estimated_cost_usd).toBeCloseTo(0.125, 12);
  });

  it('a cost cap applies to the n-fold estimate: exactly at it passes, just under it fails', () => {
    const at = route(
      request({ model: 'm', n: 3, hints: { max_cost_usd: 0.125 } }),
      { registry: chatRegistry, health: NO_HEALTH },
      ctx(),
    );
    expect(at.plan.primary.endpoint).toBe('vllm');
    const err = failure(request({ model: 'm', n: 3, hints: { max_cost_usd: 0.1249 } }));
    expect(err.rule).toBe('max-cost');
    expect(err.message).toContain('estimated at $0.125, above max_cost_usd $0.1249');
  });

  it('chatRouteRequest carries n only above 1', () => {
    const body = (n: number | null | undefined) => ({
      model: 'm',
      messages: [{ role: 'user' as const, content: 'x' }],
      n,
    });
    expect(chatRouteRequest(body(2), {}, { id: 't' }).n).toBe(2);
    expect('n' in chatRouteRequest(body(1), {}, { id: 't' })).toBe(false);
    expect('n' in chatRouteRequest(body(null), {}, { id: 't' })).toBe(false);
    expect('n' in chatRouteRequest(body(undefined), {}, { id: 't' })).toBe(false);
  });
});

describe('embeddings dimensions (rule dimensions)', () => {
  const emb = (over: Partial<RouteRequest> = {}) =>
    request({ model: 'emb', task: 'embedding', max_output_tokens: 0, ...over });

  it('a plan target of an embedding model carries its dimensions; others carry none', () => {
    const { plan } = route(emb({ dimensions: 384 }), { registry: embedRegistry, health: NO_HEALTH }, ctx());
    const byEndpoint = Object.fromEntries(
      [plan.primary, ...plan.fallbacks].map((t) => [t.endpoint, t.embedding]),
    );
    expect(byEndpoint).toEqual({
      'e-fixed': { dimensions: 384, accepts_dimensions: false },
      'e-shorten': { dimensions: 1536, accepts_dimensions: true },
    });
    const chatPlan = route(
      request({ model: 'm' }),
      { registry: chatRegistry, health: NO_HEALTH },
      ctx(),
    ).plan;
    expect('embedding' in chatPlan.primary).toBe(false);
  });

  it('without dimensions every embedding model is eligible', () => {
    expect(endpointsOf(emb(), embedRegistry)).toEqual(['e-fixed', 'e-shorten', 'e-undeclared']);
  });

  it.each<[number, string[]]>([
    [384, ['e-fixed', 'e-shorten']],
    [383, ['e-shorten']],
    [385, ['e-shorten']],
    [1535, ['e-shorten']],
    [1536, ['e-shorten']],
    [1, ['e-shorten']],
  ])('dimensions %i goes to %j', (dimensions, expected) => {
    expect(endpointsOf(emb({ dimensions }), embedRegistry)).toEqual(expected);
  });

  it('explains each model that cannot, with its reason', () => {
    const { explanation } = route(
      emb({ dimensions: 100 }),
      { registry: embedRegistry, health: NO_HEALTH },
      ctx(),
    );
    expect(explanation.excluded.map((x) => [x.endpoint, x.rule, x.reason])).toEqual([
      ['e-fixed', 'dimensions', 'model returns 384 dimensions and accepts no other, 100 asked'],
      ['e-undeclared', 'dimensions', 'model declares no embedding dimensions, so it cannot promise 100'],
    ]);
  });

  it('dimensions above every model: a 400 no_candidate whose param is dimensions', () => {
    const err = failure(emb({ dimensions: 1537 }), embedRegistry);
    expect(err.status).toBe(400);
    expect(err.param).toBe('dimensions');
    expect(err.rule).toBe('dimensions');
    expect(err.message).toBe(
      'No endpoint can serve this request: dimensions — no remaining model can return 1537 dimensions; 3 endpoints excluded (dimensions 3).',
    );
    expect(err.excluded.find((x) => x.endpoint === 'e-shorten')?.reason).toBe(
      'model returns at most 1536 dimensions, 1537 asked',
    );
  });

  it('canReturnDimensions at the edges', () => {
    const fixed = { embedding: { dimensions: 8, accepts_dimensions: false } };
    const flexible = { embedding: { dimensions: 8, accepts_dimensions: true } };
    expect([7, 8, 9].map((d) => canReturnDimensions(fixed, d))).toEqual([false, true, false]);
    expect([1, 7, 8, 9].map((d) => canReturnDimensions(flexible, d))).toEqual([true, true, true, false]);
    expect(canReturnDimensions({}, 8)).toBe(false);
  });

  it('context_tokens, when set, is what the context window is checked against', () => {
    const small = compiled({
      models: [model('s', { tasks: ['embedding'], context_window: 512 })],
      endpoints: [endpoint('e', 's')],
    });
    // 5000 tokens over all inputs, the longest one 512: fits; 513: does not.
    const at = (context_tokens: number) =>
      request({ model: 's', task: 'embedding', prompt_tokens: 5000, max_output_tokens: 0, context_tokens });
    expect(endpointsOf(at(512), small)).toEqual(['e']);
    const err = failure(at(513), small);
    expect(err.rule).toBe('context-window');
    expect(err.message).toBe(
      'No endpoint can serve this request: context-window — the longest input (~513 tokens) exceeds every remaining context window (largest 512); 1 endpoint excluded (context-window 1).',
    );
    expect(err.excluded[0]?.reason).toBe('the longest input needs ~513 tokens, context window is 512');
  });
});

describe('registry schema', () => {
  it('refuses embedding settings on a model that does not serve embedding', () => {
    const parsed = RegistrySchema.safeParse({ models: [model('c', { embedding: { dimensions: 8 } })] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['models', 0, 'embedding']);
  });

  it('defaults accepts_dimensions to false, bounds dimensions to 1..65536', () => {
    const ok = RegistrySchema.parse({
      models: [model('e', { tasks: ['embedding'], embedding: { dimensions: 65_536 } })],
    });
    expect(ok.models[0]?.embedding).toEqual({ dimensions: 65_536, accepts_dimensions: false });
    for (const dimensions of [0, 65_537, 1.5]) {
      expect(
        RegistrySchema.safeParse({
          models: [model('e', { tasks: ['embedding'], embedding: { dimensions } })],
        }).success,
      ).toBe(false);
    }
  });
});
