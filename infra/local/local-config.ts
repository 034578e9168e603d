// The registry file's `local:` section: how `npm start` simulates each endpoint (latency,
// jitter, error rate, capacity, prefix cache), or `simulate: false` to call the endpoint's real
// target.
import { formatIssues, type Registry } from '@switchyard/core';
import * as z from 'zod';
import type { SimEndpointConfig } from './sim-endpoints.server.ts';
import { PREFIX_CACHE_DEFAULTS } from './sim-prefix-cache.ts';

/** A prefix cache (sim-prefix-cache.ts): `{}` takes every default. */
const PrefixCacheProfile = z
  .object({
    ttft_factor: z.number().min(0).max(1).default(PREFIX_CACHE_DEFAULTS.ttft_factor),
    ttl_ms: z.number().int().positive().default(PREFIX_CACHE_DEFAULTS.ttl_ms),
    max_entries: z.number().int().positive().default(PREFIX_CACHE_DEFAULTS.max_entries),
  })
  .strict();

const Profile = z
  .object({
    latency_ms: z.number().nonnegative().optional(),
    jitter_ms: z.number().nonnegative().optional(),
    error_rate: z.number().min(0).max(1).optional(),
    capacity: z.number().int().positive().optional(),
    /** sagemaker chat answers as OpenAI chat.completion (default) or TGI's `[{generated_text}]`. */
    chat_format: z.enum(['openai', 'tgi']).optional(),
    /** Share of texts on which a classifier picks another label (shows majority voting). */
    disagree_rate: z.number().min(0).max(1).optional(),
    /** Streams: time to the first chunk (default: latency_ms). */
    ttft_ms: z.number().nonnegative().optional(),
    /** Streams: chunks a second after the first. */
    tokens_per_s: z.number().positive().optional(),
    /** A prefix cache: requests opening like a recent one get ttft_factor of the time to first token. */
    prefix_cache: PrefixCacheProfile.optional(),
    simulate: z.boolean().optional(),
  })
  .strict();

export const LocalConfigSchema = z
  .object({
    defaults: Profile.omit({ simulate: true }).default({}),
    endpoints: z.record(z.string(), Profile).default({}),
    /**
     * Hidden answer quality per model id (0..1) that the feedback simulator scores answers with
     * (`npm start -- --simulate-feedback`, feedback-simulator.ts); the router never sees it.
     */
    quality: z.record(z.string(), z.number().min(0).max(1)).default({}),
  })
  .strict()
  .default({ defaults: {}, endpoints: {}, quality: {} });
export type LocalConfig = z.infer<typeof LocalConfigSchema>;

export function localConfigFrom(raw: unknown, source: string): LocalConfig {
  const parsed = LocalConfigSchema.safeParse(raw ?? undefined);
  if (!parsed.success) throw new Error(`${source}: local.${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** The simulated endpoints for a registry: every endpoint unless it says `simulate: false`. */
export function simEndpointsFor(registry: Registry, local: LocalConfig): SimEndpointConfig[] {
  const known = new Set(registry.endpoints.map((e) => e.id));
  const dimensionsOf = (e: Registry['endpoints'][number]) =>
    registry.models.find((m) => m.id === e.model && m.version === e.version)?.embedding?.dimensions;
  for (const id of Object.keys(local.endpoints)) {
    if (!known.has(id)) throw new Error(`local.endpoints.${id}: no endpoint "${id}" in the registry`);
  }
  return registry.endpoints
    .filter((e) => local.endpoints[e.id]?.simulate !== false)
    .map((e) => {
      const p = { ...local.defaults, ...local.endpoints[e.id] };
      const capacity = p.capacity ?? e.capacity?.max_inflight;
      return {
        id: e.id,
        kind: e.kind,
        target: e.target,
        model: e.model,
        upstream_model: e.upstream_model ?? e.model,
        latency_ms: p.latency_ms ?? 25,
        jitter_ms: p.jitter_ms ?? 0,
        error_rate: p.error_rate ?? 0,
        ...(capacity !== undefined ? { capacity } : {}),
        ...(p.chat_format ? { chat_format: p.chat_format } : {}),
        ...(p.disagree_rate !== undefined ? { disagree_rate: p.disagree_rate } : {}),
        ...(p.ttft_ms !== undefined ? { ttft_ms: p.ttft_ms } : {}),
        ...(p.tokens_per_s !== undefined ? { tokens_per_s: p.tokens_per_s } : {}),
        ...(p.prefix_cache ? { prefix_cache: p.prefix_cache } : {}),
        // As the registry says the upstream behaves: n > 1 choices, the model's vector length.
        ...(e.supports_n ? { supports_n: true } : {}),
        ...(dimensionsOf(e) !== undefined ? { embedding_dimensions: dimensionsOf(e) } : {}),
      };
    });
}
