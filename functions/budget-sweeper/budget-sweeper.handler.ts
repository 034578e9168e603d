// Scheduled budget sweeper (EventBridge, every minute): settles expired leases of dead routers
// at their full amount and closes ended budget periods (budget-sweeper.service.ts).
import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient, DynamoDbBudgetStore } from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { z } from '@switchyard/core';
import { type SweepSummary, sweepBudgets } from './budget-sweeper.service.ts';

const config = parseConfig(
  z.object({
    BUDGETS_TABLE: z.string().min(1),
    SWEEP_CONCURRENCY: z.coerce.number().int().positive().max(64).default(8),
  }),
);
const logger = new Logger({ serviceName: 'switchyard-budget-sweeper' });
const store = new DynamoDbBudgetStore({ client: createDocumentClient(), tableName: config.BUDGETS_TABLE });

export const handler = async (): Promise<SweepSummary> => {
  const summary = await sweepBudgets({ store, now: Date.now, concurrency: config.SWEEP_CONCURRENCY });
  if (summary.settled_leases > 0) logger.warn('settled expired budget leases', { ...summary });
  else logger.info('budget sweep done', { ...summary });
  return summary;
};
