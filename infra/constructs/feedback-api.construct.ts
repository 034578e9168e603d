// Learned routing's feedback: `POST /v1/feedback` on the consumer API (same authorizer, API key
// and usage plan as the other /v1 routes), served by a small function that may only read and
// conditionally update items of the decisions table (functions/feedback/).
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../app.config.ts';
import type { ConsumerApi } from './consumer-api.construct.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';

export interface FeedbackApiProps {
  readonly layers: SharedLayers;
  /** The API the route is added to. */
  readonly api: ConsumerApi;
  /** The decision log the feedback is joined onto. */
  readonly decisionsTable: ITable;
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class FeedbackApi extends Construct {
  public readonly function: SwitchyardFunction;

  constructor(scope: Construct, id: string, props: FeedbackApiProps) {
    super(scope, id);
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/feedback/feedback.handler.ts',
      layers: props.layers,
      description: "POST /v1/feedback: a consumer's score for one of its own answers",
      memorySize: 512,
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: { [ENV.decisionsTable]: props.decisionsTable.tableName },
    });
    props.decisionsTable.grant(this.function, 'dynamodb:UpdateItem', 'dynamodb:GetItem');
    props.api.addRoute({ method: 'POST', path: '/v1/feedback', handler: this.function });
  }
}
