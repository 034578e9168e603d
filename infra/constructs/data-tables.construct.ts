// The DynamoDB tables: registry (models, endpoints, policies; single-table pk/sk), health (one
// item per endpoint, expiring), jobs (job state and results, expiring), API keys (by key
// hash, with indexes on the public key id and the tenant), tenants (one item per tenant: its
// profile, plan, budget and webhook signing secret) and rollouts (model version rollouts and their step
// history). On-demand billing, point-in-time recovery and AWS-managed encryption on every table.
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  API_KEYS_TABLE,
  BUDGETS_TABLE,
  DECISIONS_TABLE,
  TENANTS_TABLE,
  USAGE_TABLE,
} from '../../layers/adapters/src/tables.ts';

export interface DataTablesProps {
  /**
   * What happens to the tables holding data people put there (registry, jobs, API keys,
   * tenants, rollouts) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /**
   * What happens to the health table on stack deletion; its items are measurements that the
   * health check rewrites every minute.
   * @default RemovalPolicy.DESTROY
   */
  readonly healthRemovalPolicy?: RemovalPolicy;
}

/** Name of the TTL attribute (epoch seconds) on the expiring tables. */
export const TTL_ATTRIBUTE = 'expires_at';

export class DataTables extends Construct {
  /** Registry: pk `pk` (S), sk `sk` (S). */
  public readonly registry: Table;
  /** Health: pk `endpoint` (S), TTL `expires_at`. */
  public readonly health: Table;
  /** Jobs: pk `pk` (S), TTL `expires_at`. */
  public readonly jobs: Table;
  /** API keys: pk `key_hash` (S); GSIs `by-key-id` on `key_id` and `by-tenant` on `tenant` (keys only). */
  public readonly apiKeys: Table;
  /** Tenants: pk `id` (S). Holds webhook signing secrets: grant reads attribute by attribute. */
  public readonly tenants: Table;
  /** Rollouts: pk `id` (S): one item per model version rollout, plus lock items. */
  public readonly rollouts: Table;
  /**
   * Budgets: pk `tenant` (S), sk `budget` (S, `<budget id>#<period>`), one item per tenant budget
   * period; sparse keys-only index `open-periods` on `sweep` (S) for the sweeper; TTL `expires_at`.
   */
  public readonly budgets: Table;
  /**
   * Usage: pk `pk` (S, `<tenant>#<shard>`), sk `sk` (S, `<at>#<request id>`), one item per metered
   * request; TTL `expires_at` (the retention the usage store writes). Billing data: retained.
   */
  public readonly usage: Table;
  /**
   * Decisions: pk `request_id` (S), one item per routed request (the learned router's decision
   * log, feedback joined on); TTL `expires_at`. No prompt text.
   */
  public readonly decisions: Table;

  constructor(scope: Construct, id: string, props: DataTablesProps = {}) {
    super(scope, id);
    const dataRemovalPolicy = props.dataRemovalPolicy ?? RemovalPolicy.RETAIN;
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
    } as const;

    this.registry = new Table(this, 'Registry', {
      ...common,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      removalPolicy: dataRemovalPolicy,
    });
    this.health = new Table(this, 'Health', {
      ...common,
      partitionKey: { name: 'endpoint', type: AttributeType.STRING },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy: props.healthRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.jobs = new Table(this, 'Jobs', {
      ...common,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy: dataRemovalPolicy,
    });
    this.apiKeys = new Table(this, 'ApiKeys', {
      ...common,
      partitionKey: { name: API_KEYS_TABLE.partitionKey, type: AttributeType.STRING },
      removalPolicy: dataRemovalPolicy,
    });
    this.apiKeys.addGlobalSecondaryIndex({
      indexName: API_KEYS_TABLE.byKeyId.indexName,
      partitionKey: { name: API_KEYS_TABLE.byKeyId.partitionKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    this.apiKeys.addGlobalSecondaryIndex({
      indexName: API_KEYS_TABLE.byTenant.indexName,
      partitionKey: { name: API_KEYS_TABLE.byTenant.partitionKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    this.tenants = new Table(this, 'Tenants', {
      ...common,
      partitionKey: { name: TENANTS_TABLE.partitionKey, type: AttributeType.STRING },
      removalPolicy: dataRemovalPolicy,
    });
    this.rollouts = new Table(this, 'Rollouts', {
      ...common,
      partitionKey: { name: 'id', type: AttributeType.STRING },
      removalPolicy: dataRemovalPolicy,
    });

    // Budgets (issue 10): spend and token-rate limits per tenant and period, leased by routers.
    this.budgets = new Table(this, 'Budgets', {
      ...common,
      partitionKey: { name: BUDGETS_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: BUDGETS_TABLE.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: BUDGETS_TABLE.ttlAttribute,
      removalPolicy: dataRemovalPolicy,
    });
    this.budgets.addGlobalSecondaryIndex({
      indexName: BUDGETS_TABLE.openIndex,
      partitionKey: { name: BUDGETS_TABLE.openAttribute, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    // Usage (issue 10): one record per metered request, sharded per tenant (tables.ts USAGE_TABLE).
    this.usage = new Table(this, 'Usage', {
      ...common,
      partitionKey: { name: USAGE_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: USAGE_TABLE.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: USAGE_TABLE.ttlAttribute,
      removalPolicy: dataRemovalPolicy,
    });

    // Decisions (issue 13): the decision log, expiring (30 days by default, set by its writer).
    this.decisions = new Table(this, 'Decisions', {
      ...common,
      partitionKey: { name: DECISIONS_TABLE.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: DECISIONS_TABLE.ttlAttribute,
      removalPolicy: dataRemovalPolicy,
    });
  }
}
