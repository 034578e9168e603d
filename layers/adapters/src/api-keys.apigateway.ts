// Registers consumer API keys with API Gateway's usage plan (throttle, quota). The authorizer
// returns the caller's key as the usage identifier, so each key must also exist here; the
// key's sha256 hash (never the key) goes to the API keys table through DynamoDbApiKeyStore.
import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';

export class ApiGatewayKeyRegistrar {
  constructor(private readonly options: { client: APIGatewayClient; usagePlanId: string }) {}

  /** Creates the API Gateway key with this value and binds it to the usage plan; returns its id. */
  async register(value: string, name: string): Promise<string> {
    const created = await this.options.client.send(
      new CreateApiKeyCommand({ name, value, enabled: true, description: 'Switchyard consumer key' }),
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
