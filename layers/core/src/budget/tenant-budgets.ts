// A tenant's budgets as the request path uses them (pure): from the budget attributes of the
// tenant record (`budget: {limit_usd, period, degrade?}`, `rate_limits: {tokens_per_minute?, requests_per_minute?}`,
// `revision` (or `updated_at`) as the revision that makes a changed limit apply mid-period) to the specs the
// lease engine reserves against and the degrade policy, if the tenant chose to degrade.
import * as z from 'zod';
import { PiiActionSchema } from '../pii/pii-action.ts';
import { DataClassificationSchema } from '../registry.schema.ts';
import type { TenantRequestPolicy } from '../tenants/tenant-policy.ts';
import type { BudgetSpec } from './budget.types.ts';
import { type BudgetDegradePolicy, DEFAULT_DEGRADE_POLICY } from './degrade.ts';
import { MAX_BUDGET_USD } from './money.ts';
import { requestsPerMinuteSpec, spendBudgetSpec, tokensPerMinuteSpec } from './specs.ts';

export const DegradeOptionSchema = z.lazy(() =>
  z.union([
    z.boolean(),
    z
      .object({
        below: z.number().min(0).max(1),
        share: z.number().gt(0).max(1),
      })
      .strict(),
  ]),
);

export const TenantBudgetConfigSchema = z.lazy(() =>
  z.object({
    budget: z
      .object({
        limit_usd: z.number().nonnegative().max(MAX_BUDGET_USD),
        period: z.enum(['day', 'month', 'total']),
        /**
         * `true` (or `{below, share}`): as the budget runs low, route to cheaper models instead of
         * refusing (budget-aware degrade); default false: refuse when it is exhausted.
         */
        degrade: DegradeOptionSchema.optional(),
      })
      .optional(),
    rate_limits: z
      .object({
        tokens_per_minute: z.number().int().nonnegative().optional(),
        requests_per_minute: z.number().int().nonnegative().optional(),
      })
      .optional(),
    /**
     * The tenant's model allow-list and default data classification, read with the budgets (one
     * read a tenant and TTL) and applied to each request (core tenants/tenant-policy.ts).
     */
    allowed_models: z.array(z.string()).optional(),
    data_classification: DataClassificationSchema.optional(),
    /** What personal data does in the tenant's requests, at least (the router's privacy step). */
    pii_action: PiiActionSchema.optional(),
    /** Epoch ms of the record's last change. */
    updated_at: z.number().int().nonnegative().optional(),
    /** The record's monotonic revision (grows with every change): the specs' revision; else updated_at. */
    revision: z.number().int().nonnegative().optional(),
  }),
);
export type TenantBudgetConfig = z.infer<typeof TenantBudgetConfigSchema>;

export interface TenantBudgets {
  spend?: BudgetSpec;
  tokens?: BudgetSpec;
  requests?: BudgetSpec;
  /** Set when the tenant degrades instead of refusing. */
  degrade?: BudgetDegradePolicy;
  /** The tenant's allow-list and default classification, applied to each request (applyTenantPolicy). */
  request_policy?: TenantRequestPolicy;
}

/** The specs and degrade policy of a tenant's budget attributes (none: no limits). */
export function tenantBudgets(config: TenantBudgetConfig | undefined): TenantBudgets {
  if (!config) return {};
  const revision = config.revision ?? config.updated_at ?? 0;
  const out: TenantBudgets = {};
  if (
    config.allowed_models !== undefined ||
    config.data_classification !== undefined ||
    config.pii_action !== undefined
  ) {
    out.request_policy = {
      ...(config.allowed_models !== undefined ? { allowed_models: config.allowed_models } : {}),
      ...(config.data_classification !== undefined
        ? { data_classification: config.data_classification }
        : {}),
      ...(config.pii_action !== undefined ? { pii_action: config.pii_action } : {}),
    };
  }
  if (config.budget) {
    out.spend = spendBudgetSpec(config.budget, revision);
    const d = config.budget.degrade;
    if (d === true) out.degrade = { ...DEFAULT_DEGRADE_POLICY };
    else if (d) out.degrade = { below: d.below, share: d.share };
  }
  const tpm = config.rate_limits?.tokens_per_minute;
  if (tpm !== undefined) out.tokens = tokensPerMinuteSpec(tpm, revision);
  const rpm = config.rate_limits?.requests_per_minute;
  if (rpm !== undefined) out.requests = requestsPerMinuteSpec(rpm, revision);
  return out;
}

/** Where the request path reads a tenant's budget attributes (the tenants table, cached). */
export interface TenantBudgetSource {
  get(tenant: string): Promise<TenantBudgetConfig | undefined>;
}

/**
 * What a request (or job) reserves on each of the tenant's budgets, in the order settle takes
 * actuals: its maximum cost on the spend budget, its maximum tokens on the tokens-per-minute
 * limit, 1 on the requests-per-minute limit.
 */
export function reservationItems(
  budgets: TenantBudgets,
  cost: number,
  tokens: number,
): Array<{ spec: BudgetSpec; amount: number }> {
  const out: Array<{ spec: BudgetSpec; amount: number }> = [];
  if (budgets.spend) out.push({ spec: budgets.spend, amount: cost });
  if (budgets.tokens) out.push({ spec: budgets.tokens, amount: tokens });
  if (budgets.requests) out.push({ spec: budgets.requests, amount: 1 });
  return out;
}
