// The tenant record: the customer behind API keys, jobs and usage. Its id, display name, plan
// (tier: which API Gateway usage plan its keys are on, so request throttling stays at the edge),
// spend budget (`limit_usd` per day, month or in total), optional rate limits, model allow-list,
// default data classification, PII action (pii_action) and webhook signing secret. The admin API's bodies are validated
// here (create: the whole record; patch: the fields to change, `null` removing an optional one),
// and `tenantView` is what the API shows (never the webhook secret, which is shown once, at create).
import * as z from 'zod';
import { MAX_BUDGET_USD } from '../budget/money.ts';
import { DegradeOptionSchema } from '../budget/tenant-budgets.ts';
import { PiiActionSchema } from '../pii/pii-action.ts';
import { DataClassificationSchema } from '../registry.schema.ts';

/** Tenant ids: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
export const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Plans, one API Gateway usage plan each (throttle and quota per key). */
export const PLAN_TIERS = ['free', 'standard', 'enterprise'] as const;
export type PlanTier = (typeof PLAN_TIERS)[number];
export const DEFAULT_PLAN: PlanTier = 'standard';

export const TENANT_BUDGET_PERIODS = ['day', 'month', 'total'] as const;
export type TenantBudgetPeriod = (typeof TENANT_BUDGET_PERIODS)[number];

/** The most models an allow-list may name. */
export const MAX_ALLOWED_MODELS = 100;

export const TenantIdSchema = z.lazy(() =>
  z
    .string()
    .regex(TENANT_ID, "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"),
);

export const PlanTierSchema = z.lazy(() => z.enum(PLAN_TIERS));

export const TenantBudgetSchema = z.lazy(() =>
  z.strictObject({
    /** US dollars per period; 0 refuses every metered request. */
    limit_usd: z.number().min(0).max(MAX_BUDGET_USD),
    period: z.enum(TENANT_BUDGET_PERIODS),
    /** Route to cheaper models as the budget runs low instead of refusing (core budget/degrade.ts). */
    degrade: DegradeOptionSchema.optional(),
  }),
);
export type TenantBudget = z.infer<typeof TenantBudgetSchema>;

const perMinute = z.lazy(() => z.number().int().min(1).max(1_000_000_000));
export const TenantRateLimitsSchema = z.lazy(() =>
  z.strictObject({
    requests_per_minute: perMinute.optional(),
    tokens_per_minute: perMinute.optional(),
  }),
);
export type TenantRateLimits = z.infer<typeof TenantRateLimitsSchema>;

const NameSchema = z.lazy(() => z.string().trim().min(1, 'must not be empty').max(200));
const ModelRefSchema = z.lazy(() =>
  z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\s,]+$/, 'a model id or id@version, without spaces or commas'),
);
const AllowedModelsSchema = z.lazy(() => z.array(ModelRefSchema).max(MAX_ALLOWED_MODELS));

/** `POST /admin/tenants`. */
export const TenantCreateSchema = z.lazy(() =>
  z.strictObject({
    id: TenantIdSchema,
    name: NameSchema,
    plan: PlanTierSchema.default(DEFAULT_PLAN),
    budget: TenantBudgetSchema.optional(),
    rate_limits: TenantRateLimitsSchema.optional(),
    allowed_models: AllowedModelsSchema.optional(),
    data_classification: DataClassificationSchema.optional(),
    /** What personal data does in this tenant's requests, at least (core pii/pii-action.ts). */
    pii_action: PiiActionSchema.optional(),
  }),
);
export type TenantCreate = z.infer<typeof TenantCreateSchema>;

/** `PATCH /admin/tenants/{id}`: the fields to change; `null` removes an optional one. */
export const TenantPatchSchema = z.lazy(() =>
  z
    .strictObject({
      name: NameSchema.optional(),
      plan: PlanTierSchema.optional(),
      budget: TenantBudgetSchema.nullable().optional(),
      rate_limits: TenantRateLimitsSchema.nullable().optional(),
      allowed_models: AllowedModelsSchema.nullable().optional(),
      data_classification: DataClassificationSchema.nullable().optional(),
      pii_action: PiiActionSchema.nullable().optional(),
    })
    .refine((p) => Object.keys(p).length > 0, { message: 'name at least one field to change' }),
);
export type TenantPatch = z.infer<typeof TenantPatchSchema>;

/** The stored tenant (the item in the tenants table). */
const tenantRecord = () =>
  z.object({
    id: TenantIdSchema,
    name: NameSchema,
    plan: PlanTierSchema,
    budget: TenantBudgetSchema.optional(),
    rate_limits: TenantRateLimitsSchema.optional(),
    allowed_models: AllowedModelsSchema.optional(),
    data_classification: DataClassificationSchema.optional(),
    /** The strictest PII action for this tenant's requests: a policy's laxer one yields to it. */
    pii_action: PiiActionSchema.optional(),
    /** HMAC-SHA256 key of the tenant's webhook signatures (`whsec_...`); stored as is, since signing needs it. */
    webhook_secret: z.string().min(16),
    created_at: z.number().int().nonnegative(),
    updated_at: z.number().int().nonnegative(),
    /**
     * Grows with every change (at least by 1, and to the change's time): budget periods take the
     * limit of the highest revision they have seen (core budget `BudgetSpec.revision`).
     */
    revision: z.number().int().nonnegative(),
  });
export const TenantRecordSchema = z.lazy(tenantRecord);
export type TenantRecord = z.infer<typeof TenantRecordSchema>;

export const TenantProfileSchema = z.lazy(() => tenantRecord().omit({ webhook_secret: true }));
/** A tenant without its webhook secret: what readers other than the signers and the admin get. */
export type TenantProfile = z.infer<typeof TenantProfileSchema>;

/** The stored attributes of a profile (every record attribute but the webhook secret). */
export const TENANT_PROFILE_ATTRIBUTES = [
  'id',
  'name',
  'plan',
  'budget',
  'rate_limits',
  'allowed_models',
  'data_classification',
  'pii_action',
  'created_at',
  'updated_at',
  'revision',
] as const satisfies ReadonlyArray<keyof TenantProfile>;

/** A new tenant's stored record from a create body. */
export function newTenant(input: TenantCreate, webhookSecret: string, now: number): TenantRecord {
  return { ...input, webhook_secret: webhookSecret, created_at: now, updated_at: now, revision: now };
}

/** The record after `patch` at `now` (fields set to `null` removed). */
export function patchTenant(current: TenantRecord, patch: TenantPatch, now: number): TenantRecord {
  const next: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return {
    ...(next as TenantRecord),
    updated_at: Math.max(now, current.updated_at),
    revision: Math.max(now, current.revision + 1),
  };
}

/** A tenant as the admin API shows it: everything but the webhook secret. */
export interface TenantView extends TenantProfile {
  object: 'tenant';
}

export function tenantView(t: TenantProfile | TenantRecord): TenantView {
  const out: Record<string, unknown> = { object: 'tenant' };
  for (const a of TENANT_PROFILE_ATTRIBUTES) if (t[a] !== undefined) out[a] = t[a];
  return out as unknown as TenantView;
}

/**
 * A stored item as a record: items written before profiles existed (id, webhook secret and
 * creation time only) read as tenants named by their id on the default plan; undefined when the
 * item is not a tenant at all.
 */
export function tenantFromItem(
  item: Record<string, unknown>,
): { ok: true; record: TenantRecord } | { ok: false; problem: string } {
  return fromItem(TenantRecordSchema, item, (record) => ({ ok: true, record }));
}

/** As `tenantFromItem`, for an item read without its webhook secret. */
export function tenantProfileFromItem(
  item: Record<string, unknown>,
): { ok: true; record: TenantProfile } | { ok: false; problem: string } {
  return fromItem(TenantProfileSchema, item, (record) => ({ ok: true, record }));
}

function fromItem<S extends z.ZodType, R>(
  schema: S,
  item: Record<string, unknown>,
  ok: (record: z.infer<S>) => R,
): R | { ok: false; problem: string } {
  const created = item.created_at;
  const parsed = schema.safeParse({
    name: item.id,
    plan: DEFAULT_PLAN,
    updated_at: created,
    revision: created,
    ...Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined && v !== null)),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `${issue?.path.join('.') || '(item)'}: ${issue?.message ?? 'invalid'}` };
  }
  return ok(parsed.data);
}
