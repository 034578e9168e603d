// The stateful stack: everything that holds data (DynamoDB tables, SQS job queues, the usage
// archive bucket). Deployed
// rarely; the stateless stack receives these resources as typed props (cross-stack references).
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DEFAULT_SETTINGS, queueVisibilityTimeout, type SwitchyardSettings } from '../app.config.ts';
import { DataTables, type DataTablesProps } from '../constructs/data-tables.construct.ts';
import { JobQueues } from '../constructs/job-queues.construct.ts';
import { UsageArchive } from '../constructs/usage-archive.construct.ts';

export interface StatefulStackProps extends StackProps {
  /**
   * Numbers shared with the stateless stack (worker timeout, receive count).
   * @default DEFAULT_SETTINGS
   */
  readonly settings?: SwitchyardSettings;
  /**
   * Removal policies of the tables.
   * @default data tables RETAIN, health DESTROY
   */
  readonly tables?: DataTablesProps;
}

export class StatefulStack extends Stack {
  public readonly tables: DataTables;
  public readonly queues: JobQueues;
  public readonly usageArchive: UsageArchive;
  public readonly settings: SwitchyardSettings;

  constructor(scope: Construct, id: string, props: StatefulStackProps = {}) {
    super(scope, id, props);
    this.settings = props.settings ?? DEFAULT_SETTINGS;
    this.tables = new DataTables(this, 'Tables', props.tables);
    this.queues = new JobQueues(this, 'JobQueues', {
      visibilityTimeout: queueVisibilityTimeout(this.settings),
      maxReceiveCount: this.settings.maxReceiveCount,
    });

    this.usageArchive = new UsageArchive(this, 'UsageArchive');

    new CfnOutput(this, 'UsageExportBucketName', { value: this.usageArchive.bucket.bucketName });
    new CfnOutput(this, 'RegistryTableName', { value: this.tables.registry.tableName });
    new CfnOutput(this, 'HealthTableName', { value: this.tables.health.tableName });
    new CfnOutput(this, 'JobsTableName', { value: this.tables.jobs.tableName });
    new CfnOutput(this, 'ApiKeysTableName', { value: this.tables.apiKeys.tableName });
    new CfnOutput(this, 'TenantsTableName', { value: this.tables.tenants.tableName });
    new CfnOutput(this, 'RolloutsTableName', { value: this.tables.rollouts.tableName });
    new CfnOutput(this, 'BudgetsTableName', { value: this.tables.budgets.tableName });
    new CfnOutput(this, 'UsageTableName', { value: this.tables.usage.tableName });
    new CfnOutput(this, 'JobDeadLetterQueueUrl', { value: this.queues.deadLetter.queueUrl });
  }
}
