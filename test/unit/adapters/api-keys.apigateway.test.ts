// Narrow unit test of the API Gateway key adapter with a recording client (API Gateway has no
// local stand-in): the usage-plan key is created with the given value (a key's random usage id,
// never its secret) and bound to the usage plan.
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { ApiGatewayKeyRegistrar } from '@switchyard/adapters';
import { describe, expect, it } from 'vitest';

function recordingClient(answers: unknown[]) {
  const sent: Array<{ name: string; input: unknown }> = [];
  const client = {
    send: async (cmd: { constructor: { name: string }; input: unknown }) => {
      sent.push({ name: cmd.constructor.name, input: cmd.input });
      return answers.shift() ?? {};
    },
  } as unknown as APIGatewayClient;
  return { client, sent };
}

describe('ApiGatewayKeyRegistrar', () => {
  it('creates the key with the given value and adds it to the usage plan', async () => {
    const { client, sent } = recordingClient([{ id: 'k123' }, {}]);
    const usageId = `usage_${'a'.repeat(40)}`;
    const id = await new ApiGatewayKeyRegistrar({ client, usagePlanId: 'up1' }).register(
      usageId,
      'key_0123',
      'Switchyard key of acme',
    );
    expect(id).toBe('k123');
    expect(sent).toEqual([
      {
        name: CreateApiKeyCommand.name,
        input: {
          value: usageId,
          name: 'key_0123',
          enabled: true,
          description: 'Switchyard key of acme',
        },
      },
      {
        name: CreateUsagePlanKeyCommand.name,
        input: { usagePlanId: 'up1', keyId: 'k123', keyType: 'API_KEY' },
      },
    ]);
  });

  it('refuses to continue when API Gateway returns no id', async () => {
    const { client, sent } = recordingClient([{}]);
    await expect(
      new ApiGatewayKeyRegistrar({ client, usagePlanId: 'up1' }).register('v', 'n'),
    ).rejects.toThrow(/no key id/);
    expect(sent).toHaveLength(1);
  });

  it('disables a key by id', async () => {
    const { client, sent } = recordingClient([{}]);
    await new ApiGatewayKeyRegistrar({ client, usagePlanId: 'up1' }).disable('k9');
    expect(sent[0]).toEqual({
      name: UpdateApiKeyCommand.name,
      input: { apiKey: 'k9', patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] },
    });
  });
});
