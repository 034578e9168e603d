// Registers consumer API keys with API Gateway's usage plan (throttle, quota). API Gateway never
// sees the secret: the authorizer returns each key's random `usage_id` as the usage identifier,
// and that is the value registered here (anyone with apigateway:GET can read it, and it opens
// nothing). The secret exists only with the caller; the keys table holds its sha256 hash.
import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';

export class ApiGatewayKeyRegistrar {
  constructor(private readonly options: { client: APIGatewayClient; usagePlanId: string }) {}

  /**
   * Creates the API Gateway key with this value (a key's `usage_id`, never its secret) and binds
   * it to the usage plan; returns its id.
   */
  async register(value: string, name: string, description = 'Switchyard consumer key'): Promise<string> {
    const created = await this.options.client.send(
      new CreateApiKeyCommand({ name, value, enabled: true, description }),
    );
    if (!created.id) throw new Error('API Gateway returned no key id');
    await this.options.client.send(
      new CreateUsagePlanKeyCommand({
        usagePlanId: this.options.usagePlanId,
        keyId: created.id,
        keyType: 'API_KEY',
      }),
    );
    return created.id;
  }

  async disable(id: string): Promise<void> {
    await this.options.client.send(
      new UpdateApiKeyCommand({
        apiKey: id,
        patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
      }),
    );
  }
}
