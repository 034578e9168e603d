// Admin function behind the `/admin/*` routes (IAM auth in AWS; the local admin key in
// `npm start`): endpoint health, registry listings and writes, rollouts, and tenants, their keys
// and usage. Thin: dispatch; the work is in admin.service.ts, tenants.service.ts and the rollout
// lifecycle. Defence in depth: whatever API Gateway
// let through, the SigV4 caller must be one of ADMIN_PRINCIPAL_ARNS (AdminPrincipals), else 403.
import { Logger } from '@aws-lambda-powertools/logger';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  AdminPrincipals,
  API_KEY_CACHE_TTL_MS,
  ApiGatewayKeyRegistrar,
  createDocumentClient,
  createSfnClient,
  DynamoDbApiKeyStore,
  DynamoDbHealthStore,
  DynamoDbModelRegistry,
  DynamoDbRolloutStore,
  DynamoDbTenantStore,
  DynamoDbUsageStore,
  generateWebhookSecret,
  issueApiKey,
  parsePlanTierMap,
  RolloutLifecycle,
  StepFunctionsRolloutWorkflow,
  usagePlanIdsByName,
} from '@switchyard/adapters';
import { httpHandler, parseConfig } from '@switchyard/adapters/lambda';
import { DEFAULT_HEALTH_FRESH_MS, NotFoundError, PermissionDeniedError, z } from '@switchyard/core';
import { AdminService } from './admin.service.ts';
import { TenantAdmin } from './tenants.service.ts';

const config = parseConfig(
  z.object({
    REGISTRY_TABLE: z.string().min(1),
    HEALTH_TABLE: z.string().min(1),
    ROLLOUTS_TABLE: z.string().min(1),
    ROLLOUT_WORKFLOW_ARN: z.string().min(1),
    API_KEYS_TABLE: z.string().min(1),
    TENANTS_TABLE: z.string().min(1),
    USAGE_TABLE: z.string().min(1),
    /** `{"free":"<usage plan name>",...}`: the usage plan of every tier, by name. */
    USAGE_PLAN_NAMES: z.string().min(2),
    /** The authorizer's cache TTL: how long a revoked key may keep working (reported in answers). */
    API_KEY_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(API_KEY_CACHE_TTL_MS),
    HEALTH_FRESH_MS: z.coerce.number().int().positive().default(DEFAULT_HEALTH_FRESH_MS),
    /** The IAM principals allowed in (comma-separated ARNs); required, and empty admits no one. */
    ADMIN_PRINCIPAL_ARNS: z.string(),
  }),
);
const admins = AdminPrincipals.fromList(config.ADMIN_PRINCIPAL_ARNS);

const logger = new Logger({ serviceName: 'switchyard-admin' });
const ddb = createDocumentClient();
const registry = new DynamoDbModelRegistry({ client: ddb, tableName: config.REGISTRY_TABLE });
const health = new DynamoDbHealthStore({ client: ddb, tableName: config.HEALTH_TABLE });
const service = new AdminService({
  registry,
  health,
  rollouts: new RolloutLifecycle({
    rollouts: new DynamoDbRolloutStore({ client: ddb, tableName: config.ROLLOUTS_TABLE }),
    registry,
    health,
    workflow: new StepFunctionsRolloutWorkflow({
      client: createSfnClient(),
      stateMachineArn: config.ROLLOUT_WORKFLOW_ARN,
    }),
    now: Date.now,
  }),
  now: Date.now,
  healthFreshMs: config.HEALTH_FRESH_MS,
});

const apigateway = new APIGatewayClient({});
const tenants = new TenantAdmin({
  tenants: new DynamoDbTenantStore({ client: ddb, tableName: config.TENANTS_TABLE }),
  keys: new DynamoDbApiKeyStore({ client: ddb, tableName: config.API_KEYS_TABLE }),
  gateway: new ApiGatewayKeyRegistrar({
    client: apigateway,
    usagePlanIds: () => usagePlanIdsByName(apigateway, parsePlanTierMap(config.USAGE_PLAN_NAMES)),
  }),
  usage: new DynamoDbUsageStore({ client: ddb, tableName: config.USAGE_TABLE }),
  issueKey: issueApiKey,
  newWebhookSecret: generateWebhookSecret,
  now: Date.now,
  revocationSeconds: Math.ceil(config.API_KEY_CACHE_TTL_MS / 1000),
});

// Path parameters arrive decoded (API Gateway REST decodes them once; so does the local
// gateway): decoding again would turn `%25` into `%` and throw on `%ZZ`.
const param = (params: Record<string, string>, name: string): string => params[name] ?? '';

export const handler = httpHandler(
  async (request) => {
    if (!admins.allows(request.principalArn)) {
      logger.warn('refused a caller that is not an admin principal', {
        caller: request.principalArn ?? null,
      });
      throw new PermissionDeniedError(
        'The admin API is open only to the admin principals this deployment names; this caller is not one.',
        { code: 'not_admin' },
      );
    }
    const { params, body, headers } = request;
    switch (`${request.method} ${request.resource}`) {
      case 'GET /admin/health':
        return { status: 200, body: await service.health() };
      case 'GET /admin/models':
        return { status: 200, body: await service.list('model') };
      case 'GET /admin/endpoints':
        return { status: 200, body: await service.list('endpoint') };
      case 'GET /admin/policies':
        return { status: 200, body: await service.list('policy') };
      case 'PUT /admin/models/{id}':
        return service.put('model', param(params, 'id'), body, headers['if-match']);
      case 'PUT /admin/endpoints/{id}':
        return service.put('endpoint', param(params, 'id'), body, headers['if-match']);
      case 'PUT /admin/policies/{name}':
        return service.put('policy', param(params, 'name'), body, headers['if-match']);
      case 'GET /admin/rollouts':
        return { status: 200, body: await service.rollouts() };
      case 'POST /admin/rollouts':
        return service.startRollout(body);
      case 'GET /admin/rollouts/{id}':
        return { status: 200, body: await service.rollout(param(params, 'id')) };
      case 'POST /admin/rollouts/{id}/rollback':
        return { status: 200, body: await service.rollback(param(params, 'id'), body) };
      case 'POST /admin/tenants':
        return tenants.create(body);
      case 'GET /admin/tenants':
        return tenants.list();
      case 'GET /admin/tenants/{id}':
        return tenants.get(param(params, 'id'));
      case 'PATCH /admin/tenants/{id}':
        return tenants.patch(param(params, 'id'), body);
      case 'DELETE /admin/tenants/{id}':
        return tenants.delete(param(params, 'id'));
      case 'POST /admin/tenants/{id}/keys':
        return tenants.createKey(param(params, 'id'), body);
      case 'GET /admin/tenants/{id}/keys':
        return tenants.listKeys(param(params, 'id'));
      case 'DELETE /admin/tenants/{id}/keys/{key_id}':
        return tenants.revokeKey(param(params, 'id'), param(params, 'key_id'));
      case 'GET /admin/tenants/{id}/usage':
        return tenants.usage(param(params, 'id'), request.query);
      default:
        throw new NotFoundError(`No route for ${request.method} ${request.path}.`);
    }
  },
  { logger },
);
