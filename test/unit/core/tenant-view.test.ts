// What a tenant may see (core tenant-view.ts): models by its allow-list, aliases whose policy
// could match it and route to a permitted model, and a dry-run explanation without the
// endpoints of models it may not use; route()'s reasons name no such model either.
import { describe, expect, it } from 'vitest';
import {
  mayUseModel,
  NoCandidateError,
  route,
  tenantAliases,
  tenantExplanation,
} from '../../../layers/core/src/index.ts';
import { compiled, ctx, endpoint, model, NO_HEALTH, policy, request } from './fixtures.ts';

const registry = compiled({
  models: [
    model('open-m'),
    model('secret-m'),
    model('canary-m', { version: 'v1' }),
    model('canary-m', { version: 'v2', status: 'staged' }),
    model('gone-m', { status: 'retired' }),
    model('lonely-m'),
  ],
  endpoints: [
    endpoint('e-open', 'open-m'),
    endpoint('e-secret', 'secret-m'),
    endpoint('e-canary-1', 'canary-m', { version: 'v1' }),
    endpoint('e-canary-2', 'canary-m', { version: 'v2' }),
    endpoint('e-gone', 'gone-m'),
  ],
  policies: [
    policy('shared', { match: { model: 'auto' }, models: ['open-m', 'secret-m'] }),
    policy('acme-auto', { match: { model: 'auto', tenant: 'acme' }, models: ['secret-m'] }),
    policy('acme-only', { match: { model: 'acme-special', tenant: 'acme' } }),
    policy('secret', { match: { model: 'secret' }, models: ['secret-m'] }),
    policy('retired', { match: { model: 'old' }, models: ['gone-m'] }),
    policy('no-endpoint', { match: { model: 'lonely' }, models: ['lonely-m'] }),
    policy('canary', {
      match: { model: 'canaried' },
      models: ['canary-m'],
      canary: [{ model: 'canary-m', stable: 'v1', candidate: 'v2', weight: 0.5 }],
    }),
  ],
});

describe('mayUseModel', () => {
  it('no allow-list: every model; else the id, or the exact id@version', () => {
    expect(mayUseModel({ id: 't' }, 'x', 'v1')).toBe(true);
    expect(mayUseModel({ id: 't', allowed_models: ['x'] }, 'x', 'v9')).toBe(true);
    expect(mayUseModel({ id: 't', allowed_models: ['x@v1'] }, 'x', 'v1')).toBe(true);
    expect(mayUseModel({ id: 't', allowed_models: ['x@v1'] }, 'x', 'v2')).toBe(false);
    expect(mayUseModel({ id: 't', allowed_models: ['x@v1'] }, 'x')).toBe(true);
    expect(mayUseModel({ id: 't', allowed_models: ['xy'] }, 'x')).toBe(false);
    expect(mayUseModel({ id: 't', allowed_models: ['xy@v1'] }, 'x')).toBe(false);
    expect(mayUseModel({ id: 't', allowed_models: [] }, 'x')).toBe(false);
  });
});

describe('tenantAliases', () => {
  it("shows another tenant's policies to nobody else, and never a policy with nothing to route to", () => {
    expect(tenantAliases(registry, { id: 'beta' })).toEqual([
      { alias: 'auto', policy: 'shared' },
      { alias: 'secret', policy: 'secret' },
      { alias: 'canaried', policy: 'canary' },
    ]);
  });

  it('gives the tenant its own policy for an alias, and its tenant-only aliases', () => {
    expect(tenantAliases(registry, { id: 'acme' })).toEqual([
      { alias: 'auto', policy: 'acme-auto' },
      { alias: 'acme-special', policy: 'acme-only' },
      { alias: 'secret', policy: 'secret' },
      { alias: 'canaried', policy: 'canary' },
    ]);
  });

  it('keeps only aliases that route to a permitted model (a staged version counts through its canary)', () => {
    expect(tenantAliases(registry, { id: 'beta', allowed_models: ['open-m'] })).toEqual([
      { alias: 'auto', policy: 'shared' },
    ]);
    expect(tenantAliases(registry, { id: 'acme', allowed_models: ['open-m'] })).toEqual([
      { alias: 'auto', policy: 'shared' },
      { alias: 'acme-special', policy: 'acme-only' },
    ]);
    expect(tenantAliases(registry, { id: 'beta', allowed_models: ['canary-m@v2'] })).toEqual([
      { alias: 'canaried', policy: 'canary' },
    ]);
    expect(tenantAliases(registry, { id: 'beta', allowed_models: ['gone-m', 'lonely-m'] })).toEqual([]);
  });
});

describe('tenantExplanation', () => {
  it('lists no endpoint of a model the tenant may not use, and counts them', () => {
    const tenant = { id: 'beta', allowed_models: ['open-m'] };
    const d = route(request({ model: 'auto', tenant }), { registry, health: NO_HEALTH }, ctx(1));
    expect(d.explanation.excluded.map((x) => x.endpoint)).toEqual([
      'e-secret',
      'e-canary-1',
      'e-canary-2',
      'e-gone',
    ]);
    const view = tenantExplanation(d.explanation, tenant);
    expect(view.excluded).toEqual([]);
    expect(view).toMatchObject({ excluded_count: 0, excluded_hidden: 4, candidate_count: 1 });
    expect(view.candidates.map((c) => c.endpoint)).toEqual(['e-open']);
    expect(JSON.stringify(view)).not.toMatch(/secret-m|canary-m|gone-m|e-secret|e-canary|e-gone/);
  });

  it('keeps the exclusions of models the tenant may use, with reasons that name only those', () => {
    const tenant = { id: 'beta', allowed_models: ['open-m', 'canary-m@v1'] };
    const d = route(request({ model: 'auto', tenant }), { registry, health: NO_HEALTH }, ctx(1));
    const view = tenantExplanation(d.explanation, tenant);
    expect(view.excluded).toEqual([
      {
        endpoint: 'e-canary-1',
        model: 'canary-m',
        version: 'v1',
        rule: 'policy-models',
        reason: 'model canary-m is not in policy "shared" models [open-m]',
      },
    ]);
    expect(view).toMatchObject({ excluded_count: 1, excluded_hidden: 3 });
  });

  it('without an allow-list hides nothing', () => {
    const tenant = { id: 'beta' };
    const d = route(request({ model: 'auto', tenant }), { registry, health: NO_HEALTH }, ctx(1));
    const view = tenantExplanation(d.explanation, tenant);
    expect(view.excluded_hidden).toBe(0);
    expect(view.excluded).toEqual(d.explanation.excluded);
    expect(view.excluded[0]?.reason).toBe(
      'model canary-m is not in policy "shared" models [open-m, secret-m]',
    );
  });

  it('keeps canary decisions only for models the tenant may use', () => {
    const d = route(
      request({ model: 'canaried', tenant: { id: 'beta' } }),
      { registry, health: NO_HEALTH },
      ctx(1),
    );
    expect(d.explanation.versions).toHaveLength(1);
    expect(
      tenantExplanation(d.explanation, { id: 'beta', allowed_models: ['canary-m'] }).versions,
    ).toHaveLength(1);
    expect(tenantExplanation(d.explanation, { id: 'beta', allowed_models: ['open-m'] }).versions).toEqual([]);
  });
});

describe("route()'s no-candidate message names no model the tenant may not use", () => {
  it('lists only permitted policy models', () => {
    const err = (() => {
      try {
        route(
          request({ model: 'lonely-m', tenant: { id: 'beta', allowed_models: ['lonely-m', 'open-m'] } }),
          {
            registry: compiled({
              models: [model('lonely-m'), model('open-m'), model('secret-m')],
              endpoints: [endpoint('e-lonely', 'lonely-m')],
              policies: [policy('general', { match: {}, models: ['open-m', 'secret-m'] })],
            }),
            health: NO_HEALTH,
          },
          ctx(1),
        );
      } catch (e) {
        return e;
      }
      throw new Error('expected no candidate');
    })();
    expect(err).toBeInstanceOf(NoCandidateError);
    expect((err as NoCandidateError).message).toContain(
      'model "lonely-m" is not among policy "general" models [open-m]',
    );
  });
});
