// Reads the registry file at synth time for what the infrastructure needs from it: the names of
// the SageMaker endpoints it registers (the router and the job steps may invoke exactly those).
// Full validation of the file is the registry schema's job (layers/core); this only insists on
// the shape it reads, and says which field is wrong.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
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

/** Loads `file` (relative to `root` unless absolute) and returns its SageMaker endpoint names. */
export function loadSagemakerEndpointNames(file: string, root: string): string[] {
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
  return sagemakerEndpointNames(doc, file);
}
