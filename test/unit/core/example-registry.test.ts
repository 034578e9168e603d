// The local stack's registry.example.yaml through the core: it validates, and each policy alias
// routes the way the file's comments say (PHI to the HIPAA model, legal to the legal model, the
// support canary sticky per user, sentiment to the per-call classifier).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RouteRequest } from '../../../layers/core/src/index.ts';
import {
  compileRegistry,
  formatIssues,
  NoCandidateError,
  RegistrySchema,
  route,
} from '../../../layers/core/src/index.ts';
import { ctx, NO_HEALTH, request } from './fixtures.ts';

const file = parse(
  readFileSync(new URL('../../../registry.example.yaml', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const { local: _local, ...sections } = file;
const parsed = RegistrySchema.safeParse(sections);
const registry = parsed.success ? compileRegistry(parsed.data) : undefined;
const go = (over: Partial<RouteRequest>) => {
  if (!registry) throw new Error('registry did not validate');
  return route(request(over), { registry, health: NO_HEALTH }, ctx());
};

describe('registry.example.yaml', () => {
  it('validates', () => {
    expect(parsed.success ? '' : formatIssues(parsed.error)).toBe('');
  });

  it('routes every policy alias', () => {
    for (const model of ['auto', 'cheap', 'best', 'fast', 'support']) {
      expect(go({ model }).plan.primary.endpoint).toBeTruthy();
    }
    expect(go({ model: 'classify', task: 'sentiment', max_output_tokens: 0 }).plan.primary.endpoint).toBe(
      'sm-sentiment',
    );
  });

  it('sends phi only to the HIPAA model, and says why auto cannot take it', () => {
    expect(go({ model: 'best', hints: { data_classification: 'phi' } }).plan.primary.model).toBe('med-llm');
    expect(() => go({ model: 'auto', hints: { data_classification: 'phi' } })).toThrow(NoCandidateError);
  });

  it('sends the legal domain to the legal model, in its region', () => {
    const d = go({ model: 'best', hints: { domain: 'legal' } });
    expect(d.plan.primary.endpoint).toBe('gpu-legal');
    expect(d.plan.primary.region).toBe('eu-west-1');
  });

  it('keeps a support conversation on one version of support-llm', () => {
    const versions = new Set(
      Array.from({ length: 5 }, () => go({ model: 'support', user: 'conv-42' }).plan.primary.version),
    );
    expect(versions.size).toBe(1);
  });
});
