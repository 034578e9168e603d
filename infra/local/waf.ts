// AWS WAF emulation for the local stack: the web ACL the template associates with the API stage,
// evaluated on each request's method, path and headers before the API Gateway emulation sees it,
// as WAF runs before API Gateway in AWS. It runs the statements the stack's firewall uses (and,
// or, not, byte match, size constraint, regex pattern sets) and refuses at start-up any other, so
// a rule never silently does nothing locally.
import type { CfnStack } from './cfn.ts';
import { referencedId, resourcesOfType } from './cfn.ts';

/** What WAF sees of a request here: no body (the rules read only headers). */
export interface WafRequest {
  method: string;
  /** The path as sent, without the query. */
  uriPath: string;
  /** Header values by lower-cased name. */
  header: (name: string) => string | undefined;
}

export interface WafBlock {
  status: number;
  contentType: string;
  body: string;
  rule: string;
}

type Json = Record<string, unknown>;
type Predicate = (r: WafRequest) => boolean;

const CONTENT_TYPES: Record<string, string> = {
  APPLICATION_JSON: 'application/json',
  TEXT_PLAIN: 'text/plain',
  TEXT_HTML: 'text/html',
};

export class LocalWebAcl {
  private constructor(
    private readonly rules: ReadonlyArray<{
      name: string;
      matches: Predicate;
      action: 'allow' | 'count' | WafBlock;
    }>,
  ) {}

  /** The web ACL associated with the template's REST API stage, or undefined when there is none. */
  static fromTemplate(stacks: readonly CfnStack[]): LocalWebAcl | undefined {
    const association = resourcesOfType(stacks, 'AWS::WAFv2::WebACLAssociation')[0];
    if (!association) return undefined;
    const aclId = referencedId(association.resource.Properties?.WebACLArn);
    const acl = resourcesOfType(stacks, 'AWS::WAFv2::WebACL').find((a) => a.id === aclId);
    if (!acl) throw new Error(`local WAF: association ${association.id} names no web ACL in the templates`);
    // Unresolved: rules reference their pattern sets by Fn::GetAtt, which is how they are found.
    const props = (acl.resource.Properties ?? {}) as Json;
    const patternSets = new Map<string, RegExp[]>();
    for (const set of resourcesOfType(stacks, 'AWS::WAFv2::RegexPatternSet')) {
      const list = (set.resource.Properties?.RegularExpressionList ?? []) as string[];
      patternSets.set(
        set.id,
        list.map((p) => new RegExp(p)),
      );
    }
    const bodies = (props.CustomResponseBodies ?? {}) as Record<
      string,
      { ContentType: string; Content: string }
    >;
    const rules = [...((props.Rules ?? []) as Json[])]
      .sort((a, b) => Number(a.Priority) - Number(b.Priority))
      .map((rule) => {
        const name = String(rule.Name);
        const matches = predicate(rule.Statement as Json, patternSets, name);
        const action = (rule.Action ?? {}) as Json;
        if ('Allow' in action) return { name, matches, action: 'allow' as const };
        if ('Count' in action) return { name, matches, action: 'count' as const };
        if (!('Block' in action))
          throw new Error(`local WAF: rule ${name}: unsupported action ${Object.keys(action)}`);
        const custom = (action.Block as Json | undefined)?.CustomResponse as Json | undefined;
        const body = custom?.CustomResponseBodyKey ? bodies[String(custom.CustomResponseBodyKey)] : undefined;
        return {
          name,
          matches,
          action: {
            status: Number(custom?.ResponseCode ?? 403),
            contentType: CONTENT_TYPES[body?.ContentType ?? 'TEXT_PLAIN'] ?? 'text/plain',
            body: body?.Content ?? 'Forbidden',
            rule: name,
          },
        };
      });
    return new LocalWebAcl(rules);
  }

  /** The block of the first matching rule with a Block action; undefined when the request may pass. */
  evaluate(request: WafRequest): WafBlock | undefined {
    for (const rule of this.rules) {
      if (!rule.matches(request) || rule.action === 'count') continue;
      return rule.action === 'allow' ? undefined : rule.action;
    }
    return undefined;
  }
}

function predicate(statement: Json, patternSets: Map<string, RegExp[]>, rule: string): Predicate {
  const [kind, value] = Object.entries(statement)[0] ?? [];
  const s = (value ?? {}) as Json;
  const nested = (x: unknown) => predicate(x as Json, patternSets, rule);
  switch (kind) {
    case 'AndStatement': {
      const all = (s.Statements as Json[]).map(nested);
      return (r) => all.every((p) => p(r));
    }
    case 'OrStatement': {
      const any = (s.Statements as Json[]).map(nested);
      return (r) => any.some((p) => p(r));
    }
    case 'NotStatement': {
      const inner = nested(s.Statement);
      return (r) => !inner(r);
    }
    case 'ByteMatchStatement': {
      const field = fieldOf(s.FieldToMatch as Json, rule);
      const transform = transformOf(s.TextTransformations, rule);
      const search = transform(String(s.SearchString));
      const at = String(s.PositionalConstraint);
      return (r) => {
        const v = field(r);
        if (v === undefined) return false;
        const t = transform(v);
        if (at === 'EXACTLY') return t === search;
        if (at === 'STARTS_WITH') return t.startsWith(search);
        if (at === 'ENDS_WITH') return t.endsWith(search);
        if (at === 'CONTAINS') return t.includes(search);
        throw new Error(`local WAF: rule ${rule}: unsupported positional constraint ${at}`);
      };
    }
    case 'SizeConstraintStatement': {
      const field = fieldOf(s.FieldToMatch as Json, rule);
      const transform = transformOf(s.TextTransformations, rule);
      const size = Number(s.Size);
      const compare = COMPARE[String(s.ComparisonOperator)];
      if (!compare)
        throw new Error(`local WAF: rule ${rule}: unsupported operator ${String(s.ComparisonOperator)}`);
      // A missing header does not match, whatever the comparison (WAF's documented behaviour).
      return (r) => {
        const v = field(r);
        return v !== undefined && compare(Buffer.byteLength(transform(v)), size);
      };
    }
    case 'RegexPatternSetReferenceStatement': {
      const setId = referencedId(s.ARN ?? s.Arn);
      const patterns = setId ? patternSets.get(setId) : undefined;
      if (!patterns) throw new Error(`local WAF: rule ${rule}: regex pattern set not found`);
      const field = fieldOf(s.FieldToMatch as Json, rule);
      const transform = transformOf(s.TextTransformations, rule);
      return (r) => {
        const v = field(r);
        return v !== undefined && patterns.some((p) => p.test(transform(v)));
      };
    }
    default:
      throw new Error(`local WAF: rule ${rule}: the local stack does not run ${String(kind)}`);
  }
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  EQ: (a, b) => a === b,
  NE: (a, b) => a !== b,
  LE: (a, b) => a <= b,
  LT: (a, b) => a < b,
  GE: (a, b) => a >= b,
  GT: (a, b) => a > b,
};

function fieldOf(field: Json, rule: string): (r: WafRequest) => string | undefined {
  if ('UriPath' in field) return (r) => r.uriPath;
  if ('Method' in field) return (r) => r.method;
  const single = field.SingleHeader as { Name?: string } | undefined;
  if (single?.Name) {
    const name = single.Name.toLowerCase();
    return (r) => r.header(name);
  }
  throw new Error(`local WAF: rule ${rule}: unsupported field ${Object.keys(field)}`);
}

function transformOf(list: unknown, rule: string): (v: string) => string {
  const types = ((list ?? []) as Array<{ Type?: string }>).map((t) => t.Type);
  for (const t of types) {
    if (t !== 'NONE' && t !== 'LOWERCASE')
      throw new Error(`local WAF: rule ${rule}: unsupported transformation ${t}`);
  }
  return types.includes('LOWERCASE') ? (v) => v.toLowerCase() : (v) => v;
}
