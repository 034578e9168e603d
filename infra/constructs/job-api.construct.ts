// The jobs API: `POST /v1/jobs` and `GET /v1/jobs/{id}` on the consumer API (same authorizer,
// API key and usage plan as the synchronous routes), served by one function. Least privilege: it
// reads the registry (to refuse unknown models and impossible constraints before enqueueing),
// gets and conditionally puts items in the jobs table (jobs and idempotency claims), and sends
// to the three priority queues. It never starts executions nor reads queues.

import { MAX_JOB_BODY_BYTES } from '@switchyard/core';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, JOB_PRIORITIES, type JobPriority, jobQueueUrlEnv, SHARED_ENV_DEFAULTS } from '../app.config.ts';
import type { ConsumerApi } from './consumer-api.construct.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';
import { grantBudgetPeriods, grantTenantBudgetRead } from './tenant-budgets.grant.ts';

export interface JobApiProps {
  readonly layers: SharedLayers;
  /** The API the routes are added to. */
  readonly api: ConsumerApi;
  readonly registryTable: ITable;
  readonly jobsTable: ITable;
  /**
   * Budgets: `POST /v1/jobs` reads the tenant's budget attributes and budget periods (read only)
   * and refuses a job its budget cannot hold. Both or neither.
   * @default none: no budget check at accept
   */
  readonly budgets?: { readonly tenantsTable: ITable; readonly budgetsTable: ITable };
  /** The job queue per priority. */
  readonly queues: Readonly<Record<JobPriority, IQueue>>;
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** The routes this construct adds. */
export const JOB_ROUTES = [
  { method: 'POST', path: '/v1/jobs' },
  { method: 'GET', path: '/v1/jobs/{id}' },
] as const;

export class JobApi extends Construct {
  public readonly function: SwitchyardFunction;

  constructor(scope: Construct, id: string, props: JobApiProps) {
    super(scope, id);
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/jobs/jobs.handler.ts',
      layers: props.layers,
      description: 'Jobs API: accept async jobs (validate, store, enqueue) and show them to their tenant',
      memorySize: 512,
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: {
        [ENV.registryTable]: props.registryTable.tableName,
        [ENV.jobsTable]: props.jobsTable.tableName,
        [ENV.registryCacheTtlMs]: SHARED_ENV_DEFAULTS.registryCacheTtlMs,
        [ENV.jobMaxBodyBytes]: String(MAX_JOB_BODY_BYTES),
        ...jobQueueUrlEnv(props.queues),
      },
    });
    if (props.budgets) {
      this.function.addEnvironment(ENV.tenantsTable, props.budgets.tenantsTable.tableName);
      this.function.addEnvironment(ENV.budgetsTable, props.budgets.budgetsTable.tableName);
      grantTenantBudgetRead(props.budgets.tenantsTable, this.function);
      grantBudgetPeriods(props.budgets.budgetsTable, this.function, { write: false });
    }
    props.registryTable.grantReadData(this.function);
    props.jobsTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:PutItem');
    for (const p of JOB_PRIORITIES) props.queues[p].grantSendMessages(this.function);
    for (const route of JOB_ROUTES) props.api.addRoute({ ...route, handler: this.function });
  }
}
