// The synth-time registry reader: which SageMaker endpoints the grants name, and clear errors
// for a file it cannot use.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/app.config.ts';
import {
  loadSagemakerEndpointNames,
  RegistryFileError,
  sagemakerEndpointNames,
} from '../../infra/registry-file.loader.ts';

describe('sagemakerEndpointNames', () => {
  it('collects the targets of sagemaker endpoints only, once each, in file order', () => {
    expect(loadSagemakerEndpointNames('test/infra/fixtures/registry.yaml', REPO_ROOT)).toEqual([
      'Switchyard-Model-A',
      'switchyard-model-c',
    ]);
  });

  it('reads the example registry shipped with the project', () => {
    expect(loadSagemakerEndpointNames('registry.example.yaml', REPO_ROOT)).toEqual([
      'switchyard-llama-3-8b',
      'switchyard-med-llm',
      'switchyard-sentiment-bert',
      'switchyard-sentiment-distil',
      'switchyard-embed-small',
    ]);
  });

  it('accepts a registry without endpoints', () => {
    expect(sagemakerEndpointNames({ models: [] })).toEqual([]);
  });

  it.each([
    [[], 'expected a mapping'],
    [{ endpoints: {} }, 'endpoints: expected a list'],
    [{ endpoints: ['x'] }, 'endpoints[0]: expected a mapping'],
    [{ endpoints: [{ kind: 'sagemaker' }] }, 'endpoints[0].target: expected a SageMaker endpoint name'],
    [{ endpoints: [{ kind: 'sagemaker', target: 'arn:aws:sagemaker:x' }] }, 'endpoints[0].target'],
    [{ endpoints: [{ kind: 'sagemaker', target: 'a'.repeat(64) }] }, 'endpoints[0].target'],
  ])('rejects %j naming the field', (registry, message) => {
    expect(() => sagemakerEndpointNames(registry, 'r.yaml')).toThrow(RegistryFileError);
    expect(() => sagemakerEndpointNames(registry, 'r.yaml')).toThrow(`r.yaml: ${message}`);
  });

  it('reports a missing file and invalid YAML with the path', () => {
    expect(() => loadSagemakerEndpointNames('no/such/registry.yaml', REPO_ROOT)).toThrow(
      /cannot read registry file/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-registry-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'endpoints: [unclosed');
    expect(() => loadSagemakerEndpointNames(bad, REPO_ROOT)).toThrow(/invalid YAML/);
  });
});
