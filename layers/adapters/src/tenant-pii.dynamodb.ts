// TenantPiiSource over the tenants table: reads only the tenant item's `pii_action` attribute
// (the webhook secret is never read on the request path). A malformed value fails closed: the
// read throws, and the router answers 503 rather than guess a laxer action than the tenant set.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type PiiAction, PiiActionSchema, type TenantPiiSource } from '@switchyard/core';
import { TENANTS_TABLE } from './tables.ts';

export interface DynamoDbTenantPiiOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

export class DynamoDbTenantPii implements TenantPiiSource {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoDbTenantPiiOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async piiAction(tenant: string): Promise<PiiAction | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [TENANTS_TABLE.partitionKey]: tenant },
        ProjectionExpression: '#p',
        ExpressionAttributeNames: { '#p': 'pii_action' },
      }),
    );
    const value = out.Item?.pii_action;
    if (value === undefined || value === null) return undefined;
    const parsed = PiiActionSchema.safeParse(value);
    if (!parsed.success)
      throw new Error(`table ${this.#tableName}: tenant ${tenant} has a malformed pii_action`);
    return parsed.data;
  }
}
