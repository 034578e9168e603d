// The budget sweeper: a function on an EventBridge schedule that settles the expired leases of
// router containers that died (at their full amount) and closes ended budget periods. Grants:
// GetItem and UpdateItem on the budgets table, Query on its open-periods index; nothing else.
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BUDGETS_TABLE } from '../../layers/adapters/src/tables.ts';
import { ENV } from '../app.config.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';

export interface BudgetSweeperProps {
  readonly layers: SharedLayers;
  readonly budgetsTable: ITable;
  /**
   * How often the sweeper runs. A dead router's lease is settled at most this long after it expires.
   * @default Schedule.rate(Duration.minutes(1))
   */
  readonly schedule?: Schedule;
  /**
   * Budget periods swept at once.
   * @default 8
   */
  readonly concurrency?: number;
  /**
   * Timeout of one run; keep it under the schedule's period.
   * @default Duration.seconds(55)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class BudgetSweeper extends Construct {
  public readonly function: SwitchyardFunction;
  public readonly rule: Rule;

  constructor(scope: Construct, id: string, props: BudgetSweeperProps) {
    super(scope, id);
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/budget-sweeper/budget-sweeper.handler.ts',
      layers: props.layers,
      description: 'Settles expired budget leases of dead routers and closes ended budget periods',
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(55),
      logRetention: props.logRetention,
      environment: {
        [ENV.budgetsTable]: props.budgetsTable.tableName,
        SWEEP_CONCURRENCY: String(props.concurrency ?? 8),
      },
    });
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.budgetsTable.tableArn],
      }),
    );
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${props.budgetsTable.tableArn}/index/${BUDGETS_TABLE.openIndex}`],
      }),
    );
    this.rule = new Rule(this, 'Schedule', {
      description: 'Runs the Switchyard budget sweeper',
      schedule: props.schedule ?? Schedule.rate(Duration.minutes(1)),
      // A missed run is covered by the next one: do not pile retries onto the schedule.
      targets: [new LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
  }
}
