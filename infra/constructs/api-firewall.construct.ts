// An AWS WAF web ACL in front of the REST API stage, for what API Gateway cannot refuse itself:
// bodies larger than the route's limit. API Gateway REST takes 10 MB, Lambda refuses synchronous
// events over 6 MB, so without this a 6-10 MB body is a 5xx. WAF can read only the first
// kilobytes of a body, so the rules read the declared `Content-Length` (a regex for "greater than
// N", since a size constraint would measure the header's digits, not its value) and refuse a
// body with no declared length. Blocked requests get the OpenAI error shape from custom response
// bodies. Sampled requests are off: they would keep request headers, API keys among them.

import { bodyTooLargeMessage } from '@switchyard/core';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { CfnRegexPatternSet, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface BodyLimit {
  /** Largest body in bytes. */
  readonly maxBytes: number;
  /**
   * Applies only to request paths ending with this (e.g. `/v1/jobs`).
   * @default every request
   */
  readonly pathSuffix?: string;
}

export interface ApiFirewallProps {
  /** The API stage the web ACL protects. */
  readonly stage: Stage;
  /** Body limits; put the ones with a `pathSuffix` first, as the first match decides. */
  readonly bodyLimits: readonly BodyLimit[];
  /**
   * Prefix of the CloudWatch metric names.
   * @default 'Switchyard'
   */
  readonly metricPrefix?: string;
}

/**
 * Regular expressions (WAF's PCRE subset: no groups, no alternation) that together match the
 * decimal integers greater than `n`, leading zeros allowed: one for every longer number, one per
 * digit of `n` for the same-length numbers that first exceed it at that digit.
 */
export function greaterThanPatterns(n: number): string[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`greaterThanPatterns: ${n} is not a size`);
  const digits = String(n);
  const patterns = [`^0*[1-9][0-9]{${digits.length},}$`];
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[i]);
    if (d === 9) continue;
    const rest = digits.length - i - 1;
    const low = d + 1;
    const digit = low === 9 ? '9' : `[${low}-9]`;
    patterns.push(`^0*${digits.slice(0, i)}${digit}${rest > 0 ? `[0-9]{${rest}}` : ''}$`);
  }
  return patterns;
}

/** The OpenAI-shaped JSON body of a WAF custom response. */
function errorBody(message: string, code: string): string {
  return JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } });
}

// A JSON-typed property: CDK passes its keys to CloudFormation as written, so `Name`, capitalised.
/** API Gateway REST's payload limit. */
const API_GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

const header = (name: string) => ({ singleHeader: { Name: name } });
const NONE = [{ priority: 0, type: 'NONE' }];

export class ApiFirewall extends Construct {
  public readonly webAcl: CfnWebACL;
  public readonly association: CfnWebACLAssociation;
  public readonly patternSets: readonly CfnRegexPatternSet[];

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const prefix = props.metricPrefix ?? 'Switchyard';
    const visibility = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${prefix}${name}`,
      sampledRequestsEnabled: false,
    });
    const bodies: Record<string, CfnWebACL.CustomResponseBodyProperty> = {
      'length-required': {
        contentType: 'APPLICATION_JSON',
        content: errorBody(
          'The request has a body but no Content-Length header; send its length (chunked uploads are not accepted).',
          'length_required',
        ),
      },
    };
    const rules: CfnWebACL.RuleProperty[] = [
      {
        name: 'LengthRequired',
        priority: 0,
        action: {
          block: { customResponse: { responseCode: 411, customResponseBodyKey: 'length-required' } },
        },
        statement: {
          andStatement: {
            statements: [
              {
                sizeConstraintStatement: {
                  fieldToMatch: header('transfer-encoding'),
                  comparisonOperator: 'GT',
                  size: 0,
                  textTransformations: NONE,
                },
              },
              {
                notStatement: {
                  statement: {
                    sizeConstraintStatement: {
                      fieldToMatch: header('content-length'),
                      comparisonOperator: 'GT',
                      size: 0,
                      textTransformations: NONE,
                    },
                  },
                },
              },
            ],
          },
        },
        visibilityConfig: visibility('LengthRequired'),
      },
    ];
    const patternSets: CfnRegexPatternSet[] = [];
    props.bodyLimits.forEach((limit, i) => {
      // Larger limits mean nothing behind API Gateway's own 10 MB (and would need more than the 10
      // patterns a WAF regex pattern set holds).
      if (
        !Number.isSafeInteger(limit.maxBytes) ||
        limit.maxBytes < 0 ||
        limit.maxBytes > API_GATEWAY_MAX_BYTES
      ) {
        throw new Error(
          `ApiFirewall: body limit ${limit.maxBytes} is not between 0 and ${API_GATEWAY_MAX_BYTES} bytes`,
        );
      }
      const set = new CfnRegexPatternSet(this, `ContentLengthOver${limit.maxBytes}`, {
        scope: 'REGIONAL',
        description: `Content-Length values greater than ${limit.maxBytes}`,
        regularExpressionList: greaterThanPatterns(limit.maxBytes),
      });
      patternSets.push(set);
      const key = `body-too-large-${limit.maxBytes}`;
      bodies[key] = {
        contentType: 'APPLICATION_JSON',
        content: errorBody(bodyTooLargeMessage(limit.maxBytes), 'payload_too_large'),
      };
      const tooLong: CfnWebACL.StatementProperty = {
        regexPatternSetReferenceStatement: {
          arn: set.attrArn,
          fieldToMatch: header('content-length'),
          textTransformations: NONE,
        },
      };
      rules.push({
        name: `BodyTooLarge${i}`,
        priority: i + 1,
        action: { block: { customResponse: { responseCode: 413, customResponseBodyKey: key } } },
        statement: limit.pathSuffix
          ? {
              andStatement: {
                statements: [
                  {
                    byteMatchStatement: {
                      fieldToMatch: { uriPath: {} },
                      positionalConstraint: 'ENDS_WITH',
                      searchString: limit.pathSuffix,
                      textTransformations: NONE,
                    },
                  },
                  tooLong,
                ],
              },
            }
          : tooLong,
        visibilityConfig: visibility(`BodyTooLarge${i}`),
      });
    });
    this.patternSets = patternSets;
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: 'Switchyard API: request size limits in the OpenAI error shape',
      defaultAction: { allow: {} },
      customResponseBodies: bodies,
      rules,
      visibilityConfig: visibility('WebAcl'),
    });
    this.association = new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
