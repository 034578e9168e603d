// The tenant record's bounds on each request: allow-list (tenant's, narrowed by the key's) and
// the default data classification (a hint may raise it, never lower it).
import {
  applyTenantPolicy,
  DATA_CLASSIFICATIONS,
  effectiveAllowedModels,
  mayUseModel,
  type RouteRequest,
  strictestClassification,
} from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const request = (over: Partial<RouteRequest> = {}): RouteRequest => ({
  model: 'auto',
  task: 'chat',
  prompt_tokens: 10,
  max_output_tokens: 20,
  tenant: { id: 'acme' },
  hints: {},
  ...over,
});

describe('strictestClassification', () => {
  it('keeps the stricter by public < internal < confidential < pii < phi < pci', () => {
    expect(strictestClassification('phi', 'public')).toBe('phi');
    expect(strictestClassification('public', 'phi')).toBe('phi');
    expect(strictestClassification('internal', 'confidential')).toBe('confidential');
    expect(strictestClassification('pii', 'phi')).toBe('phi');
    expect(strictestClassification('pci', 'phi')).toBe('pci');
    expect(strictestClassification('internal', 'internal')).toBe('internal');
    expect(strictestClassification(undefined, 'pii')).toBe('pii');
    expect(strictestClassification('pii', undefined)).toBe('pii');
    expect(strictestClassification(undefined, undefined)).toBeUndefined();
  });

  it('never answers less strict than either side (property)', () => {
    const c = fc.constantFrom(...DATA_CLASSIFICATIONS);
    fc.assert(
      fc.property(c, c, (a, b) => {
        const s = strictestClassification(a, b);
        if (s === undefined) return false;
        const rank = DATA_CLASSIFICATIONS.indexOf(s);
        return rank >= DATA_CLASSIFICATIONS.indexOf(a) && rank >= DATA_CLASSIFICATIONS.indexOf(b);
      }),
    );
  });
});

describe('effectiveAllowedModels', () => {
  it('is the one list there is, or none', () => {
    expect(effectiveAllowedModels(undefined, undefined)).toBeUndefined();
    expect(effectiveAllowedModels(['m1'], undefined)).toEqual(['m1']);
    expect(effectiveAllowedModels(undefined, ['m2'])).toEqual(['m2']);
  });

  it('keeps what both permit, meeting id and id@version as id@version', () => {
    expect(effectiveAllowedModels(['m1', 'm2'], ['m2', 'm3'])).toEqual(['m2']);
    expect(effectiveAllowedModels(['m1'], ['m1@v2'])).toEqual(['m1@v2']);
    expect(effectiveAllowedModels(['m1@v2', 'm1@v3'], ['m1'])).toEqual(['m1@v2', 'm1@v3']);
    expect(effectiveAllowedModels(['m1@v2'], ['m1@v3'])).toEqual([]);
    expect(effectiveAllowedModels(['m2'], ['m1'])).toEqual([]);
    expect(effectiveAllowedModels([], ['m1'])).toEqual([]);
  });

  it('permits a model version exactly when both lists do (property)', () => {
    const ids = ['a', 'b', 'c'];
    const entry = fc.oneof(
      fc.constantFrom(...ids),
      fc.tuple(fc.constantFrom(...ids), fc.constantFrom('v1', 'v2')).map(([m, v]) => `${m}@${v}`),
    );
    const list = fc.option(fc.array(entry, { maxLength: 5 }), { nil: undefined });
    fc.assert(
      fc.property(list, list, fc.constantFrom(...ids), fc.constantFrom('v1', 'v2'), (t, k, id, v) => {
        const both = effectiveAllowedModels(t, k);
        const may = (l: string[] | undefined) =>
          mayUseModel({ id: 'x', ...(l ? { allowed_models: l } : {}) }, id, v);
        return may(both) === (may(t) && may(k));
      }),
    );
  });
});

describe('applyTenantPolicy', () => {
  it("sets the tenant's default classification when the caller gave none", () => {
    const out = applyTenantPolicy(request(), { data_classification: 'phi' });
    expect(out.hints).toEqual({ data_classification: 'phi' });
  });

  it('lets a hint raise the classification but not lower it', () => {
    const hinted = (c: 'public' | 'pci') => request({ hints: { data_classification: c, priority: 'high' } });
    expect(applyTenantPolicy(hinted('public'), { data_classification: 'pii' }).hints).toEqual({
      data_classification: 'pii',
      priority: 'high',
    });
    expect(applyTenantPolicy(hinted('pci'), { data_classification: 'pii' }).hints).toEqual({
      data_classification: 'pci',
      priority: 'high',
    });
  });

  it("bounds the tenant context by the record's list narrowed by the key's", () => {
    const keyed = request({ tenant: { id: 'acme', allowed_models: ['m1', 'm3'] } });
    expect(applyTenantPolicy(keyed, { allowed_models: ['m1', 'm2'] }).tenant).toEqual({
      id: 'acme',
      allowed_models: ['m1'],
    });
    expect(applyTenantPolicy(request(), { allowed_models: ['m2'] }).tenant).toEqual({
      id: 'acme',
      allowed_models: ['m2'],
    });
  });

  it('changes nothing without a policy', () => {
    const r = request({ tenant: { id: 'acme', allowed_models: ['m1'] }, hints: { region: 'eu-west-1' } });
    expect(applyTenantPolicy(r, {})).toEqual(r);
    expect(applyTenantPolicy(request(), {})).toEqual(request());
  });
});
