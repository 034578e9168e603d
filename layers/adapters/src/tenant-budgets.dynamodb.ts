// TenantBudgetSource over the tenants table: reads only the budget attributes of a tenant's item
// (`budget`, `rate_limits`, `updated_at`, `revision`, and the `allowed_models`,
// `data_classification` and `pii_action` each request is bounded by; the webhook secret is never
// read on the request path)
// and validates them. A malformed budget fails closed (the request is not served unmetered).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type TenantBudgetConfig, TenantBudgetConfigSchema, type TenantBudgetSource } from '@switchyard/core';
import { TENANTS_TABLE } from './tables.ts';

export interface DynamoDbTenantBudgetsOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

export class DynamoDbTenantBudgets implements TenantBudgetSource {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoDbTenantBudgetsOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async get(tenant: string): Promise<TenantBudgetConfig | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [TENANTS_TABLE.partitionKey]: tenant },
        ProjectionExpression: '#b, #r, #u, #v, #m, #c, #p',
        ExpressionAttributeNames: {
          '#m': 'allowed_models',
          '#c': 'data_classification',
          '#p': 'pii_action',
          '#b': 'budget',
          '#r': 'rate_limits',
          '#u': 'updated_at',
          '#v': 'revision',
        },
      }),
    );
    if (!out.Item) return undefined;
    const parsed = TenantBudgetConfigSchema.safeParse(out.Item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `table ${this.#tableName}: tenant ${tenant} has a malformed ${issue?.path.join('.') ?? 'budget'}`,
      );
    }
    return parsed.data;
  }
}
