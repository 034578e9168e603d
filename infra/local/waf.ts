// AWS WAF emulation for the local stack: the web ACL the template associates with the API stage,
// evaluated on each request's path and headers before the API Gateway emulation sees it, as WAF
// runs before API Gateway in AWS. It runs what the stack's firewall uses (block rules with custom
// responses; and, not, byte match, size constraint and regex pattern set statements on the URI
// path and single headers) and refuses at start-up anything else, so that no rule silently does
// nothing locally.
import type { CfnStack } from './cfn.ts';
import { referencedId, resourcesOfType } from './cfn.ts';

/** What WAF sees of a request here: no body (the rules read only headers). */
export interface WafRequest {
  /** The path as sent, without the query. */
  uriPath: string;
  /** A header's value by lower-cased name. */
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
  private constructor(private readonly rules: ReadonlyArray<{ matches: Predicate; block: WafBlock }>) {}

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
        const block = (rule.Action as Json | undefined)?.Block as Json | undefined;
        if (!block) throw new Error(`local WAF: rule ${name}: only Block actions run locally`);
        const custom = block.CustomResponse as Json | undefined;
        const body = custom?.CustomResponseBodyKey ? bodies[String(custom.CustomResponseBodyKey)] : undefined;
        return {
          matches: predicate(rule.Statement as Json, patternSets, name),
          block: {
            status: Number(custom?.ResponseCode ?? 403),
            contentType: CONTENT_TYPES[body?.ContentType ?? 'TEXT_PLAIN'] ?? 'text/plain',
            body: body?.Content ?? 'Forbidden',
            rule: name,
          },
        };
      });
    return new LocalWebAcl(rules);
  }

  /** The block of the first rule the request matches; undefined when it may pass. */
  evaluate(request: WafRequest): WafBlock | undefined {
    return this.rules.find((rule) => rule.matches(request))?.block;
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
    case 'NotStatement': {
      const inner = nested(s.Statement);
      return (r) => !inner(r);
    }
    case 'ByteMatchStatement': {
      const field = fieldOf(s.FieldToMatch as Json, rule);
      noTransformation(s.TextTransformations, rule);
      if (s.PositionalConstraint !== 'ENDS_WITH') {
        throw new Error(
          `local WAF: rule ${rule}: unsupported positional constraint ${String(s.PositionalConstraint)}`,
        );
      }
      const search = String(s.SearchString);
      return (r) => field(r)?.endsWith(search) === true;
    }
    case 'SizeConstraintStatement': {
      const field = fieldOf(s.FieldToMatch as Json, rule);
      noTransformation(s.TextTransformations, rule);
      if (s.ComparisonOperator !== 'GT') {
        throw new Error(`local WAF: rule ${rule}: unsupported operator ${String(s.ComparisonOperator)}`);
      }
      const size = Number(s.Size);
      // A missing header does not match (WAF's documented test for one is NOT(size > 0)).
      return (r) => {
        const v = field(r);
        return v !== undefined && Buffer.byteLength(v) > size;
      };
    }
    case 'RegexPatternSetReferenceStatement': {
      const setId = referencedId(s.Arn);
      const patterns = setId ? patternSets.get(setId) : undefined;
      if (!patterns) throw new Error(`local WAF: rule ${rule}: regex pattern set not found`);
      const field = fieldOf(s.FieldToMatch as Json, rule);
      noTransformation(s.TextTransformations, rule);
      return (r) => {
        const v = field(r);
        return v !== undefined && patterns.some((p) => p.test(v));
      };
    }
    default:
      throw new Error(`local WAF: rule ${rule}: the local stack does not run ${String(kind)}`);
  }
}

function fieldOf(field: Json, rule: string): (r: WafRequest) => string | undefined {
  if ('UriPath' in field) return (r) => r.uriPath;
  const single = field.SingleHeader as { Name?: string } | undefined;
  if (single?.Name) {
    const name = single.Name.toLowerCase();
    return (r) => r.header(name);
  }
  throw new Error(`local WAF: rule ${rule}: unsupported field ${Object.keys(field)}`);
}

function noTransformation(list: unknown, rule: string): void {
  for (const t of (list ?? []) as Array<{ Type?: string }>) {
    if (t.Type !== 'NONE') throw new Error(`local WAF: rule ${rule}: unsupported transformation ${t.Type}`);
  }
}
