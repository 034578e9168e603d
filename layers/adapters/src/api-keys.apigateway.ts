// Registers consumer API keys with API Gateway's usage plans, one plan per tier (throttle, quota),
// so request throttling stays at the edge. API Gateway never sees the secret: the authorizer
// returns each key's random `usage_id` as the usage identifier, and that is the value registered
// here (anyone with apigateway:GET can read it, and it opens nothing). The secret exists only
// with the caller; the keys table holds its sha256 hash. A tenant's plan change moves its keys.
import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetUsagePlansCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import type { PlanTier, UsagePlanKeys } from '@switchyard/core';
import { PLAN_TIERS, z } from '@switchyard/core';

export interface ApiGatewayKeyRegistrarOptions {
  client: APIGatewayClient;
  /**
   * The usage plan id of every tier, or where to find them (`usagePlanIdsByName`): read once, on
   * first use. The stack passes plan names, not ids: the admin function behind the API cannot
   * reference the plans of the API's own stage (a dependency cycle).
   */
  usagePlanIds: Readonly<Record<PlanTier, string>> | (() => Promise<Record<PlanTier, string>>);
}

/** `{"free":"switchyard-free",...}`: a name per tier, as the stack passes them (USAGE_PLAN_NAMES). */
export function parsePlanTierMap(json: string): Record<PlanTier, string> {
  const schema = z.object(
    Object.fromEntries(PLAN_TIERS.map((t) => [t, z.string().min(1)])) as Record<PlanTier, z.ZodString>,
  );
  return schema.parse(JSON.parse(json)) as Record<PlanTier, string>;
}

/** Looks the tiers' usage plans up by name (GetUsagePlans, every page); fails when one is missing. */
export async function usagePlanIdsByName(
  client: APIGatewayClient,
  names: Readonly<Record<PlanTier, string>>,
): Promise<Record<PlanTier, string>> {
  const found = new Map<string, string>();
  let position: string | undefined;
  do {
    const page = await client.send(new GetUsagePlansCommand({ limit: 500, position }));
    for (const p of page.items ?? []) if (p.name && p.id) found.set(p.name, p.id);
    position = page.position;
  } while (position);
  const out = {} as Record<PlanTier, string>;
  for (const tier of PLAN_TIERS) {
    const id = found.get(names[tier]);
    if (!id) throw new Error(`API Gateway has no usage plan named ${names[tier]} (tier ${tier})`);
    out[tier] = id;
  }
  return out;
}

const named = (err: unknown, name: string) => err instanceof Error && err.name === name;

export class ApiGatewayKeyRegistrar implements UsagePlanKeys {
  readonly #client: APIGatewayClient;
  readonly #source: ApiGatewayKeyRegistrarOptions['usagePlanIds'];
  #ids: Promise<Record<PlanTier, string>> | undefined;

  constructor(options: ApiGatewayKeyRegistrarOptions) {
    this.#client = options.client;
    this.#source = options.usagePlanIds;
  }

  #plan(tier: PlanTier): Promise<string> {
    const source = this.#source;
    if (typeof source !== 'function') return Promise.resolve(source[tier]);
    // Looked up once; a failed lookup is not kept.
    this.#ids ??= source().catch((err: unknown) => {
      this.#ids = undefined;
      throw err;
    });
    return this.#ids.then((ids) => ids[tier]);
  }

  /**
   * Creates the API Gateway key with this value (a key's `usage_id`, never its secret) and binds
   * it to the plan of `plan`; returns its id.
   */
  async register(
    value: string,
    name: string,
    plan: PlanTier,
    description = 'Switchyard consumer key',
  ): Promise<string> {
    const usagePlanId = await this.#plan(plan);
    const created = await this.#client.send(
      new CreateApiKeyCommand({ name, value, enabled: true, description }),
    );
    if (!created.id) throw new Error('API Gateway returned no key id');
    await this.#client.send(
      new CreateUsagePlanKeyCommand({
        usagePlanId,
        keyId: created.id,
        keyType: 'API_KEY',
      }),
    );
    return created.id;
  }

  /**
   * Unbinds the key from the old tier's plan, then binds it to the new one's (API Gateway lets a
   * key be on one plan per stage, so for a moment it is on none: its requests get a 403). A
   * retried move finds the old binding gone and the new one there, and changes nothing.
   */
  async changePlan(gatewayKeyId: string, from: PlanTier, to: PlanTier): Promise<void> {
    if (from === to) return;
    const client = this.#client;
    const [fromId, toId] = [await this.#plan(from), await this.#plan(to)];
    await client
      .send(new DeleteUsagePlanKeyCommand({ usagePlanId: fromId, keyId: gatewayKeyId }))
      .catch((err: unknown) => {
        if (!named(err, 'NotFoundException')) throw err; // already gone
      });
    await client
      .send(
        new CreateUsagePlanKeyCommand({
          usagePlanId: toId,
          keyId: gatewayKeyId,
          keyType: 'API_KEY',
        }),
      )
      .catch((err: unknown) => {
        if (!named(err, 'ConflictException')) throw err; // already there
      });
  }

  async disable(id: string): Promise<void> {
    await this.#client.send(
      new UpdateApiKeyCommand({
        apiKey: id,
        patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
      }),
    );
  }
}
