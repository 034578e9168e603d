// Reads synthesized CloudFormation templates for the local stack: resource lookup by type and a
// resolver for the intrinsics CDK emits (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select,
// Fn::Split, Fn::ImportValue), mapped onto the local servers' names, URLs and ARNs.

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  Parameters?: Record<string, { Default?: unknown }>;
}

export interface CfnStack {
  name: string;
  template: CfnTemplate;
}

/** What a resource is locally: the value of `Ref` and of each `Fn::GetAtt` attribute. */
export interface LocalPhysical {
  ref: string;
  attrs: Record<string, string>;
}

export interface Pseudo {
  region: string;
  account: string;
  partition: string;
}

export class CfnResolveError extends Error {}

/** Resolves intrinsic functions across a set of stacks, given the local physical resources. */
export class CfnResolver {
  private readonly physical = new Map<string, LocalPhysical>();

  constructor(
    private readonly stacks: readonly CfnStack[],
    readonly pseudo: Pseudo,
  ) {}

  /** Registers what `Ref`/`GetAtt` of `stack`'s `logicalId` resolve to. */
  bind(stack: string, logicalId: string, physical: LocalPhysical): void {
    this.physical.set(`${stack}/${logicalId}`, physical);
  }

  physicalOf(stack: string, logicalId: string): LocalPhysical | undefined {
    return this.physical.get(`${stack}/${logicalId}`);
  }

  resolve(stack: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const key = keys[0] as string;
      const arg = obj[key];
      switch (key) {
        case 'Ref':
          return this.ref(stack, String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
          return this.getAtt(stack, String(id), String(attr));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(stack, parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          const items = this.resolve(stack, list) as unknown[];
          return items[Number(this.resolve(stack, index))];
        }
        case 'Fn::Split': {
          const [sep, source] = arg as [string, unknown];
          return String(this.resolve(stack, source)).split(sep);
        }
        case 'Fn::Sub':
          return this.sub(stack, arg);
        case 'Fn::ImportValue':
          return this.importValue(String(this.resolve(stack, arg)));
      }
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = this.resolve(stack, obj[k]);
    return out;
  }

  resolveString(stack: string, value: unknown): string {
    const resolved = this.resolve(stack, value);
    if (typeof resolved !== 'string' && typeof resolved !== 'number') {
      throw new CfnResolveError(`expected a string, got ${JSON.stringify(resolved)}`);
    }
    return String(resolved);
  }

  private ref(stack: string, id: string): string {
    switch (id) {
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::AccountId':
        return this.pseudo.account;
      case 'AWS::Partition':
        return this.pseudo.partition;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack;
      case 'AWS::NoValue':
        return '';
    }
    const phys = this.physical.get(`${stack}/${id}`);
    if (phys) return phys.ref;
    const param = this.stackTemplate(stack).Parameters?.[id];
    if (param && param.Default !== undefined) return String(param.Default);
    throw new CfnResolveError(`${stack}: Ref ${id} has no local binding`);
  }

  private getAtt(stack: string, id: string, attr: string): string {
    const phys = this.physical.get(`${stack}/${id}`);
    const value = phys?.attrs[attr];
    if (value === undefined)
      throw new CfnResolveError(`${stack}: Fn::GetAtt ${id}.${attr} has no local binding`);
    return value;
  }

  private sub(stack: string, arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
      if (name in vars) return String(this.resolve(stack, vars[name]));
      if (name.includes('.')) {
        const [id, attr] = name.split('.') as [string, string];
        return this.getAtt(stack, id, attr);
      }
      return this.ref(stack, name);
    });
  }

  private importValue(exportName: string): string {
    for (const s of this.stacks) {
      for (const output of Object.values(s.template.Outputs ?? {})) {
        if (output.Export && this.resolve(s.name, output.Export.Name) === exportName) {
          return String(this.resolve(s.name, output.Value));
        }
      }
    }
    throw new CfnResolveError(`no stack exports ${exportName}`);
  }

  private stackTemplate(name: string): CfnTemplate {
    const s = this.stacks.find((x) => x.name === name);
    if (!s) throw new CfnResolveError(`unknown stack ${name}`);
    return s.template;
  }
}

/** Every resource of a CloudFormation type across the stacks. */
export function resourcesOfType(
  stacks: readonly CfnStack[],
  type: string,
): Array<{ stack: string; id: string; resource: CfnResource }> {
  const out: Array<{ stack: string; id: string; resource: CfnResource }> = [];
  for (const s of stacks) {
    for (const [id, resource] of Object.entries(s.template.Resources)) {
      if (resource.Type === type) out.push({ stack: s.name, id, resource });
    }
  }
  return out;
}

/** The logical id a `{Ref: X}` or `{Fn::GetAtt: [X, ...]}` points at, or undefined. */
export function referencedId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const obj = value as Record<string, unknown>;
  if (typeof obj.Ref === 'string') return obj.Ref;
  const getAtt = obj['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** Finds the first `Fn::GetAtt [X, 'Arn']` inside a value (e.g. an integration URI). */
export function findGetAttArn(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const v of value) {
      const hit = findGetAttArn(v);
      if (hit) return hit;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const obj = value as Record<string, unknown>;
  const getAtt = obj['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') return getAtt[0];
  for (const v of Object.values(obj)) {
    const hit = findGetAttArn(v);
    if (hit) return hit;
  }
  return undefined;
}
