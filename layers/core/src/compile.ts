// Compiles a validated registry into lookup indexes once per load, so each decision is cheap.
import type { Endpoint, Model, Policy, Registry } from './registry.schema.ts';

export interface CompiledRegistry {
  readonly registry: Registry;
  readonly modelsByKey: ReadonlyMap<string, Model>;
  readonly versionsById: ReadonlyMap<string, readonly Model[]>;
  readonly endpointsByModel: ReadonlyMap<string, readonly Endpoint[]>;
  readonly policies: readonly Policy[];
}

export const modelKey = (id: string, version: string): string => `${id}@${version}`;

export function compileRegistry(registry: Registry): CompiledRegistry {
  const modelsByKey = new Map<string, Model>();
  const versionsById = new Map<string, Model[]>();
  for (const m of registry.models) {
    modelsByKey.set(modelKey(m.id, m.version), m);
    const list = versionsById.get(m.id) ?? [];
    list.push(m);
    versionsById.set(m.id, list);
  }
  const endpointsByModel = new Map<string, Endpoint[]>();
  for (const e of registry.endpoints) {
    const list = endpointsByModel.get(e.model) ?? [];
    list.push(e);
    endpointsByModel.set(e.model, list);
  }
  const policies = [...registry.policies].sort((a, b) => b.priority - a.priority);
  return { registry, modelsByKey, versionsById, endpointsByModel, policies };
}
