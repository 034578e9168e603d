// TenantStore over the tenants table (pk `id`). The item is built to grow: readers take the
// attributes they know and ignore the rest, `create` writes only when no item exists, `update`
// sets (and removes) the profile attributes only, conditional on the revision it read, so an
// attribute another writer added survives; `webhookSecret` projects the one attribute the
// signing functions' grant lets them read, `profile` and `list` project everything but it.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TenantProfile, TenantRecord, TenantStore } from '@switchyard/core';
import {
  TENANT_ID,
  TENANT_PROFILE_ATTRIBUTES,
  tenantFromItem,
  tenantProfileFromItem,
} from '@switchyard/core';
import { written } from './conditional-write.ts';
import { TENANTS_TABLE } from './tables.ts';

export { TENANT_ID } from '@switchyard/core';

export interface DynamoDbTenantStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

const PK = TENANTS_TABLE.partitionKey;
/** The attributes `update` owns: every profile attribute but the key and the creation time. */
const UPDATABLE = TENANT_PROFILE_ATTRIBUTES.filter((a) => a !== 'id' && a !== 'created_at');
const PROFILE_PROJECTION = {
  ProjectionExpression: TENANT_PROFILE_ATTRIBUTES.map((_, i) => `#p${i}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(TENANT_PROFILE_ATTRIBUTES.map((a, i) => [`#p${i}`, a])),
};

export class DynamoDbTenantStore implements TenantStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoDbTenantStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async get(id: string): Promise<TenantRecord | undefined> {
    if (!TENANT_ID.test(id)) return undefined;
    const out = await this.#client.send(new GetCommand({ TableName: this.#tableName, Key: { [PK]: id } }));
    return out.Item ? this.#record(out.Item) : undefined;
  }

  async profile(id: string): Promise<TenantProfile | undefined> {
    if (!TENANT_ID.test(id)) return undefined;
    const out = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: { [PK]: id }, ...PROFILE_PROJECTION }),
    );
    return out.Item ? this.#profile(out.Item) : undefined;
  }

  async webhookSecret(id: string): Promise<string | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [PK]: id },
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
          ExpressionAttributeNames: { '#id': PK },
        }),
      ),
    );
  }

  async list(): Promise<TenantProfile[]> {
    const out: TenantProfile[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new ScanCommand({ TableName: this.#tableName, ...PROFILE_PROJECTION, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) out.push(this.#profile(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  update(record: TenantRecord, expectedRevision: number): Promise<boolean> {
    const names: Record<string, string> = { '#id': PK, '#rev': 'revision' };
    const values: Record<string, unknown> = { ':expected': expectedRevision };
    const set: string[] = [];
    const remove: string[] = [];
    UPDATABLE.forEach((a, i) => {
      names[`#u${i}`] = a;
      const value = record[a];
      if (value === undefined) remove.push(`#u${i}`);
      else {
        set.push(`#u${i} = :u${i}`);
        values[`:u${i}`] = value;
      }
    });
    // The stored item may predate revisions (read with revision = created_at).
    names['#created'] = 'created_at';
    return written(
      this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { [PK]: record.id },
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression:
            'attribute_exists(#id) AND (#rev = :expected OR (attribute_not_exists(#rev) AND #created = :expected))',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  delete(id: string): Promise<boolean> {
    if (!TENANT_ID.test(id)) return Promise.resolve(false);
    return written(
      this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: { [PK]: id },
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: { '#id': PK },
        }),
      ),
    );
  }

  #record(item: Record<string, unknown>): TenantRecord {
    return this.#checked(item, tenantFromItem(item));
  }

  #profile(item: Record<string, unknown>): TenantProfile {
    return this.#checked(item, tenantProfileFromItem(item));
  }

  #checked<R>(
    item: Record<string, unknown>,
    read: { ok: true; record: R } | { ok: false; problem: string },
  ): R {
    if (!read.ok) {
      throw new Error(
        `table ${this.#tableName}: tenant item ${String(item[PK])} is malformed (${read.problem})`,
      );
    }
    return read.record;
  }
}
