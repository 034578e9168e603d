// Which circuit settings apply to an endpoint. A breaker is per endpoint while `circuit` is set per
// policy, so one rule decides for both the router and the health check: among the policies that
// set `circuit` and may route to the endpoint's model (their `models` list names it, or they have
// no list), a policy that names the model wins over one without a list, then the higher
// `priority`, then the earlier in the registry. No such policy: DEFAULT_CIRCUIT_SETTINGS.
import type { CircuitSettings, Endpoint, Policy, Registry } from '../registry.schema.ts';
import { DEFAULT_CIRCUIT_SETTINGS } from './circuit-breaker.ts';

/** The circuit settings for `endpoint` under `policies`. */
export function circuitSettingsFor(
  policies: readonly Policy[],
  endpoint: Pick<Endpoint, 'model'>,
): CircuitSettings {
  let best: { policy: Policy; named: boolean } | undefined;
  for (const policy of policies) {
    if (!policy.circuit) continue;
    const named = policy.models?.includes(endpoint.model) ?? false;
    if (policy.models !== undefined && !named) continue;
    if (!best || (named && !best.named) || (named === best.named && policy.priority > best.policy.priority)) {
      best = { policy, named };
    }
  }
  return best?.policy.circuit ?? DEFAULT_CIRCUIT_SETTINGS;
}

/** Circuit settings of every endpoint of a registry, by endpoint id. */
export function circuitSettingsByEndpoint(
  registry: Pick<Registry, 'endpoints' | 'policies'>,
): Map<string, CircuitSettings> {
  return new Map(registry.endpoints.map((e) => [e.id, circuitSettingsFor(registry.policies, e)]));
}
