// Reads the registry file at synth time for what the infrastructure needs from it: the names of
// the SageMaker endpoints it registers (the router and the job steps may invoke exactly those).
// Full validation of the file is the registry schema's job (layers/core); this only insists on
// the shape it reads, and says which field is wrong.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type EndpointAutoscaling, EndpointAutoscalingSchema } from '@switchyard/core';
import { parse } from 'yaml';

export class RegistryFileError extends Error {
  override name = 'RegistryFileError';
}

/** Distinct SageMaker endpoint names (`endpoints[].target` where `kind: sagemaker`), in file order. */
export function sagemakerEndpointNames(registry: unknown, source = 'registry'): string[] {
  if (registry === null || typeof registry !== 'object' || Array.isArray(registry)) {
    throw new RegistryFileError(`${source}: expected a mapping with models, endpoints and policies`);
  }
  const endpoints = (registry as Record<string, unknown>).endpoints ?? [];
  if (!Array.isArray(endpoints)) throw new RegistryFileError(`${source}: endpoints: expected a list`);
  const names: string[] = [];
  endpoints.forEach((endpoint: unknown, i) => {
    if (endpoint === null || typeof endpoint !== 'object') {
      throw new RegistryFileError(`${source}: endpoints[${i}]: expected a mapping`);
    }
    const { kind, target } = endpoint as Record<string, unknown>;
    if (kind !== 'sagemaker') return;
    if (typeof target !== 'string' || !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(target)) {
      throw new RegistryFileError(
        `${source}: endpoints[${i}].target: expected a SageMaker endpoint name, got ${JSON.stringify(target)}`,
      );
    }
    if (!names.includes(target)) names.push(target);
  });
  return names;
}

/** A SageMaker endpoint variant the stack scales. */
export interface OwnedEndpointScaling extends EndpointAutoscaling {
  readonly endpointName: string;
}

/** The SageMaker endpoints with an `autoscaling` block (owned by the stack), one per endpoint and variant. */
export function sagemakerAutoscaling(registry: unknown, source = 'registry'): OwnedEndpointScaling[] {
  sagemakerEndpointNames(registry, source);
  const endpoints = ((registry as Record<string, unknown>).endpoints ?? []) as Array<Record<string, unknown>>;
  const out: OwnedEndpointScaling[] = [];
  endpoints.forEach((endpoint, i) => {
    if (endpoint.autoscaling === undefined) return;
    if (endpoint.kind !== 'sagemaker') {
      throw new RegistryFileError(
        `${source}: endpoints[${i}].autoscaling: only sagemaker endpoints scale here`,
      );
    }
    const parsed = EndpointAutoscalingSchema.safeParse(endpoint.autoscaling);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RegistryFileError(
        `${source}: endpoints[${i}].autoscaling${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message}`,
      );
    }
    const endpointName = endpoint.target as string;
    if (out.some((o) => o.endpointName === endpointName && o.variant === parsed.data.variant)) {
      throw new RegistryFileError(
        `${source}: endpoints[${i}].autoscaling: ${endpointName}/${parsed.data.variant} is scaled twice`,
      );
    }
    out.push({ endpointName, ...parsed.data });
  });
  return out;
}

function loadRegistryDoc(file: string, root: string): unknown {
  const path = isAbsolute(file) ? file : join(root, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RegistryFileError(`cannot read registry file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new RegistryFileError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
  return doc;
}

/** Loads `file` (relative to `root` unless absolute) and returns its SageMaker endpoint names. */
export function loadSagemakerEndpointNames(file: string, root: string): string[] {
  return sagemakerEndpointNames(loadRegistryDoc(file, root), file);
}

/** Loads `file` and returns the SageMaker endpoints the stack scales. */
export function loadSagemakerAutoscaling(file: string, root: string): OwnedEndpointScaling[] {
  return sagemakerAutoscaling(loadRegistryDoc(file, root), file);
}
