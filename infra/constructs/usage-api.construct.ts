// The consumer's usage: `GET /v1/usage` on the consumer API (same authorizer, API key and usage
// plan as the other /v1 routes), served by a small function of its own that may only Query the
// usage table: a consumer reads its own tenant's records (the tenant is the authorizer's).
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../app.config.ts';
import type { ConsumerApi } from './consumer-api.construct.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';

export interface UsageApiProps {
  readonly layers: SharedLayers;
  /** The API the route is added to. */
  readonly api: ConsumerApi;
  readonly usageTable: ITable;
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class UsageApi extends Construct {
  public readonly function: SwitchyardFunction;

  constructor(scope: Construct, id: string, props: UsageApiProps) {
    super(scope, id);
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/usage/usage.handler.ts',
      layers: props.layers,
      description: "GET /v1/usage: the calling tenant's usage, totals and groups",
      memorySize: 512,
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: { [ENV.usageTable]: props.usageTable.tableName },
    });
    props.usageTable.grant(this.function, 'dynamodb:Query');
    props.api.addRoute({ method: 'GET', path: '/v1/usage', handler: this.function });
  }
}
