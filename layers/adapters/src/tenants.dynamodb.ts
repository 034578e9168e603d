// TenantStore over the tenants table (pk `id`). The item is built to grow: `get` reads the
// attributes it knows and ignores the rest, `create` writes only when no item exists, and
// `webhookSecret` projects the one attribute the signing functions' grant lets them read.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TenantRecord, TenantStore } from '@switchyard/core';
import { written } from './conditional-write.ts';
import { TENANTS_TABLE } from './tables.ts';

export interface DynamoDbTenantStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** Tenant ids: what `npm run keys` accepts, and what a key's `tenant` may hold. */
export const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class DynamoDbTenantStore implements TenantStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoDbTenantStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async get(id: string): Promise<TenantRecord | undefined> {
    const out = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: { [TENANTS_TABLE.partitionKey]: id } }),
    );
    const item = out.Item;
    if (!item) return undefined;
    if (typeof item.webhook_secret !== 'string' || typeof item.created_at !== 'number') {
      throw new Error(`table ${this.#tableName}: tenant item ${id} is malformed`);
    }
    return { id, webhook_secret: item.webhook_secret, created_at: item.created_at };
  }

  async webhookSecret(id: string): Promise<string | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [TENANTS_TABLE.partitionKey]: id },
        ProjectionExpression: '#secret',
        ExpressionAttributeNames: { '#secret': TENANTS_TABLE.webhookSecretAttribute },
      }),
    );
    const secret = out.Item?.[TENANTS_TABLE.webhookSecretAttribute];
    return typeof secret === 'string' && secret !== '' ? secret : undefined;
  }

  create(record: TenantRecord): Promise<boolean> {
    if (!TENANT_ID.test(record.id)) {
      return Promise.reject(new Error(`tenant id ${JSON.stringify(record.id)} must match ${TENANT_ID}`));
    }
    return written(
      this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...record },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': TENANTS_TABLE.partitionKey },
        }),
      ),
    );
  }
}
