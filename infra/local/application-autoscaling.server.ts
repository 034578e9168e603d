// A minimal Application Auto Scaling API for the local stack: the scalable targets the templates
// declare (seeded by the stack) and the calls the rollout step function makes, in the JSON 1.1
// protocol the real @aws-sdk/client-application-auto-scaling speaks: RegisterScalableTarget
// (registers a target with min and max, or updates the fields given, SuspendedState flag by flag)
// and DescribeScalableTargets (by namespace, optionally by resource ids and dimension). Scaling
// itself is not simulated. `fail(type)` answers every call with that error until `fail()`: how
// tests show a scaling call failing never blocks a rollout.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const TARGET_PREFIX = 'AnyScaleFrontendService.';

export interface LocalSuspendedState {
  DynamicScalingInSuspended: boolean;
  DynamicScalingOutSuspended: boolean;
  ScheduledScalingSuspended: boolean;
}

export interface LocalScalableTarget {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN?: string;
  SuspendedState: LocalSuspendedState;
  ScalableTargetARN: string;
  CreationTime: number;
}

export interface ApplicationAutoScalingServer {
  url: string;
  /** A target by resource id (any namespace and dimension: resource ids are unique here). */
  target(resourceId: string): LocalScalableTarget | undefined;
  /** Registers a target directly (the stack's seeding from the templates). */
  seed(
    target: Pick<
      LocalScalableTarget,
      'ServiceNamespace' | 'ResourceId' | 'ScalableDimension' | 'MinCapacity' | 'MaxCapacity'
    >,
  ): void;
  /** Every call answers this error (400, `__type`) until called without one. */
  fail(type?: string): void;
  /** Calls received, by operation. */
  readonly calls: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const key = (ns: unknown, id: unknown, dim: unknown) => `${String(ns)}|${String(id)}|${String(dim)}`;

function required(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new ApiError('ValidationException', `1 validation error detected: ${field} must not be null`);
  }
  return value;
}

export async function startApplicationAutoScalingServer(
  options: { region?: string; accountId?: string } = {},
): Promise<ApplicationAutoScalingServer> {
  const region = options.region ?? 'us-east-1';
  const account = options.accountId ?? '000000000000';
  const targets = new Map<string, LocalScalableTarget>();
  const calls: Record<string, number> = {};
  let failure: string | undefined;
  let created = 0;

  const register = (body: Record<string, unknown>) => {
    const ns = required(body, 'ServiceNamespace');
    const id = required(body, 'ResourceId');
    const dim = required(body, 'ScalableDimension');
    const existing = targets.get(key(ns, id, dim));
    const min = body.MinCapacity;
    const max = body.MaxCapacity;
    if (!existing && (typeof min !== 'number' || typeof max !== 'number')) {
      throw new ApiError(
        'ValidationException',
        'MinCapacity and MaxCapacity are required to register a new scalable target',
      );
    }
    const target: LocalScalableTarget = existing ?? {
      ServiceNamespace: ns,
      ResourceId: id,
      ScalableDimension: dim,
      MinCapacity: min as number,
      MaxCapacity: max as number,
      SuspendedState: {
        DynamicScalingInSuspended: false,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: false,
      },
      ScalableTargetARN: `arn:aws:application-autoscaling:${region}:${account}:scalable-target/${(++created).toString(16).padStart(36, '0')}`,
      CreationTime: Math.floor(Date.now() / 1000),
    };
    const nextMin = typeof min === 'number' ? min : target.MinCapacity;
    const nextMax = typeof max === 'number' ? max : target.MaxCapacity;
    if (nextMin > nextMax) {
      throw new ApiError('ValidationException', 'Minimum capacity cannot be greater than maximum capacity');
    }
    target.MinCapacity = nextMin;
    target.MaxCapacity = nextMax;
    if (typeof body.RoleARN === 'string') target.RoleARN = body.RoleARN;
    const suspended = body.SuspendedState as Partial<LocalSuspendedState> | undefined;
    for (const flag of Object.keys(target.SuspendedState) as Array<keyof LocalSuspendedState>) {
      const value = suspended?.[flag];
      if (typeof value === 'boolean') target.SuspendedState[flag] = value;
    }
    targets.set(key(ns, id, dim), target);
    return { ScalableTargetARN: target.ScalableTargetARN };
  };

  const describe = (body: Record<string, unknown>) => {
    const ns = required(body, 'ServiceNamespace');
    const ids = Array.isArray(body.ResourceIds) ? new Set(body.ResourceIds.map(String)) : undefined;
    if (ids && ids.size > 50) throw new ApiError('ValidationException', 'ResourceIds: at most 50');
    const dim = typeof body.ScalableDimension === 'string' ? body.ScalableDimension : undefined;
    return {
      ScalableTargets: [...targets.values()].filter(
        (t) =>
          t.ServiceNamespace === ns &&
          (ids === undefined || ids.has(t.ResourceId)) &&
          (dim === undefined || t.ScalableDimension === dim),
      ),
    };
  };

  const route = (operation: string, body: Record<string, unknown>): unknown => {
    if (failure) throw new ApiError(failure, `${operation} failed (simulated ${failure})`);
    if (operation === 'RegisterScalableTarget') return register(body);
    if (operation === 'DescribeScalableTargets') return describe(body);
    throw new ApiError('UnknownOperationException', `${operation} is not simulated`);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const amzTarget = String(req.headers['x-amz-target'] ?? '');
      const operation = amzTarget.startsWith(TARGET_PREFIX)
        ? amzTarget.slice(TARGET_PREFIX.length)
        : amzTarget;
      calls[operation] = (calls[operation] ?? 0) + 1;
      let status = 200;
      let payload: unknown;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = text ? JSON.parse(text) : {};
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new ApiError('SerializationException', 'expected a JSON object');
        }
        payload = route(operation, body as Record<string, unknown>);
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError('SerializationException', String(err));
        status = 400;
        payload = { __type: e.type, message: e.message };
      }
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    target(resourceId) {
      for (const t of targets.values()) if (t.ResourceId === resourceId) return t;
      return undefined;
    },
    seed(target) {
      register({ ...target });
    },
    fail(type) {
      failure = type;
    },
    calls,
    stop: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
