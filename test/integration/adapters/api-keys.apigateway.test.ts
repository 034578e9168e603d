// The API Gateway key adapter with the real @aws-sdk/client-api-gateway against the local API
// Gateway management server (infra/local/apigateway-keys.server.ts): a key is created with the
// given value (a key's random usage id, never its secret) on its tier's plan; a plan change moves
// it (idempotently: a retried move changes nothing); a disabled key is on no plan for the gateway;
// the server keeps AWS's rules (one plan per stage, unique values, unknown ids are NotFound).
import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { ApiGatewayKeyRegistrar, parsePlanTierMap, usagePlanIdsByName } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiGatewayKeysServer,
  startApiGatewayKeysServer,
} from '../../../infra/local/apigateway-keys.server.ts';
import { LOCAL_AWS } from '../../support/local-aws.ts';

const PLANS = { free: 'plan-free', standard: 'plan-standard', enterprise: 'plan-enterprise' } as const;
let server: ApiGatewayKeysServer;
let client: APIGatewayClient;
let registrar: ApiGatewayKeyRegistrar;
const usageId = (c: string) => `usage_${c.repeat(40)}`;

beforeAll(async () => {
  server = await startApiGatewayKeysServer({
    plans: Object.entries(PLANS).map(([tier, id]) => ({ id, name: `Stack-${tier}` })),
  });
  client = new APIGatewayClient({ ...LOCAL_AWS, endpoint: server.url });
  registrar = new ApiGatewayKeyRegistrar({ client, usagePlanIds: PLANS });
});
afterAll(async () => {
  client.destroy();
  await server.stop();
});

describe('ApiGatewayKeyRegistrar', () => {
  it("creates the key with the usage id as its value on its tier's plan", async () => {
    const id = await registrar.register(usageId('a'), 'key_0123', 'free', 'Switchyard key of acme');
    const key = await client.send(new GetApiKeyCommand({ apiKey: id }));
    expect(key).toMatchObject({
      id,
      value: usageId('a'),
      name: 'key_0123',
      enabled: true,
      description: 'Switchyard key of acme',
    });
    expect(server.planOf(usageId('a'))).toBe('plan-free');
  });

  it('moves a key to another tier, and a retried move changes nothing', async () => {
    const id = await registrar.register(usageId('b'), 'key_b', 'standard');
    await registrar.changePlan(id, 'standard', 'enterprise');
    expect(server.planOf(usageId('b'))).toBe('plan-enterprise');
    await registrar.changePlan(id, 'standard', 'enterprise');
    expect(server.planOf(usageId('b'))).toBe('plan-enterprise');
    await registrar.changePlan(id, 'enterprise', 'enterprise');
    expect(server.planOf(usageId('b'))).toBe('plan-enterprise');
  });

  it('disables a key: the gateway finds it on no plan', async () => {
    const id = await registrar.register(usageId('c'), 'key_c', 'standard');
    await registrar.disable(id);
    expect((await client.send(new GetApiKeyCommand({ apiKey: id }))).enabled).toBe(false);
    expect(server.planOf(usageId('c'))).toBeUndefined();
  });

  it('keeps AWS rules: unique values, one plan per stage, NotFound for unknown ids', async () => {
    await expect(registrar.register(usageId('a'), 'dup', 'free')).rejects.toMatchObject({
      name: 'ConflictException',
    });
    await expect(registrar.disable('nope')).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(
      new ApiGatewayKeyRegistrar({ client, usagePlanIds: { ...PLANS, free: 'gone' } }).register(
        usageId('d'),
        'key_d',
        'free',
      ),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(server.planOf(usageId('zz'))).toBeUndefined();
  });
});

describe('usage plans by name', () => {
  it("finds every tier's plan id by its name (GetUsagePlans), and fails on a missing one", async () => {
    const names = parsePlanTierMap(
      '{"free":"Stack-free","standard":"Stack-standard","enterprise":"Stack-enterprise"}',
    );
    expect(await usagePlanIdsByName(client, names)).toEqual(PLANS);
    await expect(usagePlanIdsByName(client, { ...names, enterprise: 'Other-enterprise' })).rejects.toThrow(
      'API Gateway has no usage plan named Other-enterprise (tier enterprise)',
    );
  });

  it('a registrar given the lookup resolves the plans on first use', async () => {
    let lookups = 0;
    const lazy = new ApiGatewayKeyRegistrar({
      client,
      usagePlanIds: async () => {
        lookups += 1;
        return PLANS;
      },
    });
    expect(lookups).toBe(0);
    await lazy.register(usageId('e'), 'key_e', 'enterprise');
    await lazy.register(usageId('f'), 'key_f', 'free');
    expect(lookups).toBe(1);
    expect(server.planOf(usageId('e'))).toBe('plan-enterprise');
  });

  it('parsePlanTierMap needs a name for every tier', () => {
    expect(() => parsePlanTierMap('{"free":"a","standard":"b"}')).toThrow(/enterprise/);
    expect(() => parsePlanTierMap('{"free":"a","standard":"b","enterprise":""}')).toThrow();
  });
});
