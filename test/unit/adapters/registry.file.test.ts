import { fileURLToPath } from 'node:url';
import { InvalidRegistryError, loadRegistryFile, parseRegistryFile } from '@switchyard/adapters';
import { describe, expect, it } from 'vitest';

const EXAMPLE = fileURLToPath(new URL('../../../registry.example.yaml', import.meta.url));

const GOOD = `
models:
  - { id: m1, version: v1, tasks: [chat], context_window: 4096, regions: [us-east-1] }
endpoints:
  - { id: e1, model: m1, version: v1, kind: openai-http, target: "http://gpu:8000/v1", region: us-east-1 }
  - { id: e2, model: m1, version: v1, kind: sagemaker, target: "\${NOT_INTERPOLATED}", region: us-east-1 }
policies:
  - { name: auto, match: { model: auto } }
local:
  defaults: { latency_ms: 5 }
  anything: [1, 2]
`;

function messageOf(text: string): string {
  try {
    parseRegistryFile(text, 'reg.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRegistryError);
    return (err as Error).message;
  }
  throw new Error('expected the file to be rejected');
}

describe('registry file', () => {
  it('loads registry.example.yaml', async () => {
    const { registry, local } = await loadRegistryFile(EXAMPLE);
    expect(registry.models.map((m) => `${m.id}@${m.version}`)).toContain('support-llm@v2');
    expect(registry.endpoints.find((e) => e.id === 'sm-llama-8b')).toMatchObject({
      kind: 'sagemaker',
      target: 'switchyard-llama-3-8b',
      capacity: { max_inflight: 64 },
    });
    expect(registry.policies.map((p) => p.name)).toEqual([
      'auto',
      'auto-embedding',
      'auto-code',
      'auto-research',
      'auto-budget',
      'cheap',
      'best',
      'fast',
      'support',
      'medical',
      'private',
      'assistant',
      'classify',
      'smart',
      'smart-finance',
      'smart-complex',
    ]);
    expect(registry.domains.map((d) => [d.name, d.min_score])).toEqual([
      ['legal', 0.5],
      ['medical', 0.5],
      ['finance', 0.6],
    ]);
    expect(registry.domains[0]?.terms['statute of limitations']).toBe(3);
    expect(registry.models.find((m) => m.id === 'embed-small')?.embedding).toEqual({
      dimensions: 512,
      accepts_dimensions: true,
    });
    expect(registry.endpoints.filter((e) => e.supports_n).map((e) => e.id)).toEqual([
      'gpu-a-llama-8b',
      'gpu-b-llama-8b',
    ]);
    expect(local).toMatchObject({ defaults: { latency_ms: 25 } });
  });

  it('applies schema defaults, keeps values literal and returns `local` untouched', () => {
    const { registry, local } = parseRegistryFile(GOOD, 'reg.yaml');
    expect(registry.models[0]).toMatchObject({
      status: 'active',
      domains: [],
      data_classifications: ['public', 'internal'],
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal, uninterpolated text is the point
    expect(registry.endpoints[1]?.target).toBe('${NOT_INTERPOLATED}');
    expect(registry.policies[0]?.strategy).toBe('weighted');
    expect(local).toEqual({ defaults: { latency_ms: 5 }, anything: [1, 2] });
  });

  it('accepts empty sections and a missing local section', () => {
    const { registry, local } = parseRegistryFile('models:\nendpoints: []\n', 'empty.yaml');
    expect(registry).toEqual({ models: [], endpoints: [], policies: [], domains: [] });
    expect(local).toBeUndefined();
  });

  it('names the file and the exact field of a cross-reference error', () => {
    const text = GOOD.replace('{ id: e2, model: m1', '{ id: e2, model: x');
    expect(messageOf(text)).toBe('reg.yaml: endpoints[1].model: unknown model "x"');
  });

  it('names the field of a schema error', () => {
    const text = GOOD.replace('context_window: 4096', 'context_window: -1');
    expect(messageOf(text)).toMatch(/^reg\.yaml: models\[0\]\.context_window: /);
    const kind = GOOD.replace('kind: openai-http', 'kind: lambda');
    expect(messageOf(kind)).toMatch(/^reg\.yaml: endpoints\[0\]\.kind: /);
  });

  it('rejects unknown top-level keys', () => {
    expect(messageOf(`${GOOD}\nmodles: []\n`)).toBe(
      'reg.yaml: unknown top-level key "modles" (expected models, endpoints, policies, domains, local)',
    );
  });

  it('reports YAML syntax errors with their position', () => {
    expect(messageOf('models:\n  - { id: m1\n')).toMatch(/^reg\.yaml: line \d+, column \d+: /);
    expect(messageOf('models: []\nmodels: []\n')).toMatch(/^reg\.yaml: line 2, column 1: .*unique/i);
  });

  it('rejects a file that is not a mapping', () => {
    expect(messageOf('- a\n- b\n')).toBe(
      'reg.yaml: the file must be a mapping with models, endpoints and policies',
    );
  });

  it('names the path it was given when loading fails', async () => {
    await expect(loadRegistryFile('/nonexistent/registry.yaml')).rejects.toThrow(/ENOENT/);
  });
});
