// The edge of the API in the template: the WAF web ACL on the stage (body limits from
// Content-Length, bodies without a declared length, OpenAI-shaped custom responses, no sampled
// requests), the "greater than N" patterns it matches Content-Length with, the same web ACL run
// by the local stack's WAF emulation, and the gateway responses for unknown routes (404 Invalid
// URL, as OpenAI answers) and for bodies over API Gateway's own limit.
import { Template } from 'aws-cdk-lib/assertions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiFirewall, greaterThanPatterns } from '../../infra/constructs/api-firewall.construct.ts';
import type { CfnTemplate } from '../../infra/local/cfn.ts';
import { LocalWebAcl } from '../../infra/local/waf.ts';
import { type CfnResource, type Json, resources, synthApp, synthStacks } from './template.helpers.ts';

const { statelessTemplate: template, stateless } = synthApp();

const webAcl = () => (resources(template, 'AWS::WAFv2::WebACL')[0] as [string, CfnResource])[1];
const rule = (name: string) =>
  ((webAcl().Properties?.Rules as Array<Record<string, Json>>) ?? []).find((r) => r.Name === name);

describe('greaterThanPatterns', () => {
  it('matches exactly the integers greater than n, with or without leading zeros', () => {
    fc.assert(
      fc.property(fc.nat(50_000_000), fc.nat(60_000_000), fc.nat(3), (n, m, zeros) => {
        const patterns = greaterThanPatterns(n).map((p) => new RegExp(p));
        const text = `${'0'.repeat(zeros)}${m}`;
        expect(patterns.some((p) => p.test(text))).toBe(m > n);
      }),
      { numRuns: 2000 },
    );
  });

  it('has the boundaries right at 1 MiB and 256 KiB', () => {
    const test = (n: number, value: string) => greaterThanPatterns(n).some((p) => new RegExp(p).test(value));
    for (const [n, at, over] of [
      [1_048_576, '1048576', '1048577'],
      [262_144, '262144', '262145'],
      [0, '0', '1'],
      [999, '999', '1000'],
    ] as const) {
      expect(test(n, at)).toBe(false);
      expect(test(n, over)).toBe(true);
    }
    expect(test(1_048_576, '')).toBe(false);
    expect(test(1_048_576, '1e9')).toBe(false);
    expect(test(1_048_576, '-5')).toBe(false);
  });

  it('uses no groups and no alternation (unsupported by WAF)', () => {
    expect(greaterThanPatterns(1_048_576)).toEqual([
      '^0*[1-9][0-9]{7,}$',
      '^0*[2-9][0-9]{6}$',
      '^0*1[1-9][0-9]{5}$',
      '^0*10[5-9][0-9]{4}$',
      '^0*1049[0-9]{3}$',
      '^0*1048[6-9][0-9]{2}$',
      '^0*10485[8-9][0-9]{1}$',
      '^0*104857[7-9]$',
    ]);
  });
});

describe('the web ACL', () => {
  it('guards the API stage, regionally', () => {
    const [[stageId]] = resources(template, 'AWS::ApiGateway::Stage') as [[string, CfnResource]];
    const [[aclId, acl]] = resources(template, 'AWS::WAFv2::WebACL') as [[string, CfnResource]];
    expect(acl.Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
    });
    const association = resources(template, 'AWS::WAFv2::WebACLAssociation')[0] as [string, CfnResource];
    expect(JSON.stringify(association[1].Properties?.ResourceArn)).toContain(stageId);
  });

  it('refuses a jobs body over 256 KiB and any other over 1 MiB with a 413 in the OpenAI shape', () => {
    const sets = resources(template, 'AWS::WAFv2::RegexPatternSet');
    const setFor = (n: number) => sets.find(([, r]) => String(r.Properties?.Description).endsWith(` ${n}`));
    expect(setFor(262_144)?.[1].Properties?.RegularExpressionList).toEqual(greaterThanPatterns(262_144));
    expect(setFor(1_048_576)?.[1].Properties?.RegularExpressionList).toEqual(greaterThanPatterns(1_048_576));
    const jobs = rule('BodyTooLarge0');
    expect(jobs).toMatchObject({
      Priority: 1,
      Action: {
        Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'body-too-large-262144' } },
      },
      Statement: {
        AndStatement: {
          Statements: [
            {
              ByteMatchStatement: {
                FieldToMatch: { UriPath: {} },
                PositionalConstraint: 'ENDS_WITH',
                SearchString: '/v1/jobs',
              },
            },
            {
              RegexPatternSetReferenceStatement: {
                Arn: { 'Fn::GetAtt': [setFor(262_144)?.[0], 'Arn'] },
                FieldToMatch: { SingleHeader: { Name: 'content-length' } },
              },
            },
          ],
        },
      },
    });
    expect(rule('BodyTooLarge1')).toMatchObject({
      Priority: 2,
      Action: {
        Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'body-too-large-1048576' } },
      },
      Statement: {
        RegexPatternSetReferenceStatement: {
          Arn: { 'Fn::GetAtt': [setFor(1_048_576)?.[0], 'Arn'] },
          FieldToMatch: { SingleHeader: { Name: 'content-length' } },
        },
      },
    });
    const bodies = webAcl().Properties?.CustomResponseBodies as Record<
      string,
      { ContentType: string; Content: string }
    >;
    expect(bodies['body-too-large-1048576']?.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(bodies['body-too-large-1048576']?.Content ?? '')).toEqual({
      error: {
        message: 'The request body is larger than 1048576 bytes (1 MiB), the limit for this route.',
        type: 'invalid_request_error',
        param: null,
        code: 'payload_too_large',
      },
    });
    expect(JSON.parse(bodies['body-too-large-262144']?.Content ?? '').error.message).toBe(
      'The request body is larger than 262144 bytes (256 KiB), the limit for this route.',
    );
  });

  it('refuses a body sent without a Content-Length (chunked) with a 411', () => {
    expect(rule('LengthRequired')).toMatchObject({
      Priority: 0,
      Action: { Block: { CustomResponse: { ResponseCode: 411, CustomResponseBodyKey: 'length-required' } } },
      Statement: {
        AndStatement: {
          Statements: [
            {
              SizeConstraintStatement: {
                FieldToMatch: { SingleHeader: { Name: 'transfer-encoding' } },
                ComparisonOperator: 'GT',
                Size: 0,
              },
            },
            {
              NotStatement: {
                Statement: {
                  SizeConstraintStatement: {
                    FieldToMatch: { SingleHeader: { Name: 'content-length' } },
                    ComparisonOperator: 'GT',
                    Size: 0,
                  },
                },
              },
            },
          ],
        },
      },
    });
  });

  it('keeps no sampled requests (they would hold API keys) and emits metrics', () => {
    const acl = webAcl().Properties ?? {};
    const configs = [
      acl.VisibilityConfig,
      ...(acl.Rules as Array<Record<string, Json>>).map((r) => r.VisibilityConfig),
    ];
    expect(configs).toHaveLength(4);
    for (const c of configs)
      expect(c).toMatchObject({ SampledRequestsEnabled: false, CloudWatchMetricsEnabled: true });
  });

  it('refuses a limit beyond what API Gateway takes at all', () => {
    const { code } = synthStacks({ firewall: false });
    const stage = code.consumerApi.api.deploymentStage;
    expect(
      () => new ApiFirewall(code, 'TooBig', { stage, bodyLimits: [{ maxBytes: 10 * 1024 * 1024 + 1 }] }),
    ).toThrow(/body limit 10485761 is not between 0 and 10485760 bytes/);
    expect(
      () => new ApiFirewall(code, 'AtMax', { stage, bodyLimits: [{ maxBytes: 10 * 1024 * 1024 }] }),
    ).not.toThrow();
  });

  it('is left out with firewall: false', () => {
    const { code } = synthStacks({ firewall: false });
    Template.fromStack(code).resourceCountIs('AWS::WAFv2::WebACL', 0);
    Template.fromStack(code).resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });
});

describe('the same web ACL, run by the local stack', () => {
  const acl = LocalWebAcl.fromTemplate([
    { name: stateless.stackName, template: template.toJSON() as CfnTemplate },
  ]) as LocalWebAcl;
  const request = (_method: string, uriPath: string, headers: Record<string, string>) =>
    acl.evaluate({ uriPath, header: (name) => headers[name] });

  it('lets bodies up to the limit through and refuses one byte more', () => {
    expect(request('POST', '/prod/v1/jobs', { 'content-length': '262144' })).toBeUndefined();
    expect(request('POST', '/prod/v1/jobs', { 'content-length': '262145' })).toMatchObject({ status: 413 });
    expect(request('POST', '/prod/v1/chat/completions', { 'content-length': '1048576' })).toBeUndefined();
    const over = request('POST', '/prod/v1/chat/completions', { 'content-length': '1048577' });
    expect(over).toMatchObject({ status: 413, contentType: 'application/json', rule: 'BodyTooLarge1' });
    expect(JSON.parse(over?.body ?? '').error.code).toBe('payload_too_large');
  });

  it('refuses chunked bodies and lets bodiless requests through', () => {
    expect(request('POST', '/v1/chat/completions', { 'transfer-encoding': 'chunked' })).toMatchObject({
      status: 411,
    });
    expect(request('GET', '/v1/models', {})).toBeUndefined();
    expect(
      request('POST', '/v1/route', { 'transfer-encoding': 'chunked', 'content-length': '10' }),
    ).toBeUndefined();
  });
});

describe('the local WAF emulation', () => {
  const stackWith = (rule: Record<string, unknown>): CfnTemplate =>
    ({
      Resources: {
        Acl: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [{ Name: 'R', Priority: 0, ...rule }] } },
        Assoc: {
          Type: 'AWS::WAFv2::WebACLAssociation',
          Properties: { WebACLArn: { 'Fn::GetAtt': ['Acl', 'Arn'] } },
        },
      },
    }) as unknown as CfnTemplate;
  const load = (rule: Record<string, unknown>) => () =>
    LocalWebAcl.fromTemplate([{ name: 'S', template: stackWith(rule) }]);
  const block = { Block: {} };

  it('is absent when no web ACL is associated', () => {
    expect(
      LocalWebAcl.fromTemplate([{ name: 'S', template: { Resources: {} } as unknown as CfnTemplate }]),
    ).toBeUndefined();
  });

  it('refuses at start-up what it does not run, rather than letting it through', () => {
    expect(load({ Action: { Allow: {} }, Statement: {} })).toThrow(/only Block actions run locally/);
    expect(load({ Action: block, Statement: { OrStatement: { Statements: [] } } })).toThrow(
      /does not run OrStatement/,
    );
    const size = (extra: Record<string, unknown>) => ({
      Action: block,
      Statement: {
        SizeConstraintStatement: {
          FieldToMatch: { SingleHeader: { Name: 'x' } },
          ComparisonOperator: 'GT',
          Size: 0,
          TextTransformations: [{ Type: 'NONE', Priority: 0 }],
          ...extra,
        },
      },
    });
    expect(load(size({}))).not.toThrow();
    expect(load(size({ ComparisonOperator: 'LT' }))).toThrow(/unsupported operator LT/);
    expect(load(size({ TextTransformations: [{ Type: 'LOWERCASE', Priority: 0 }] }))).toThrow(/LOWERCASE/);
    expect(load(size({ FieldToMatch: { Method: {} } }))).toThrow(/unsupported field Method/);
  });

  it('answers a bare Block with 403 Forbidden', () => {
    const acl = LocalWebAcl.fromTemplate([
      {
        name: 'S',
        template: stackWith({
          Action: block,
          Statement: {
            ByteMatchStatement: {
              FieldToMatch: { UriPath: {} },
              PositionalConstraint: 'ENDS_WITH',
              SearchString: '/x',
              TextTransformations: [{ Type: 'NONE', Priority: 0 }],
            },
          },
        }),
      },
    ]);
    expect(acl?.evaluate({ uriPath: '/a/x', header: () => undefined })).toEqual({
      status: 403,
      contentType: 'text/plain',
      body: 'Forbidden',
      rule: 'R',
    });
    expect(acl?.evaluate({ uriPath: '/a/x/', header: () => undefined })).toBeUndefined();
  });
});

describe('gateway responses', () => {
  const gatewayResponse = (type: string) =>
    (
      resources(template, 'AWS::ApiGateway::GatewayResponse').find(
        ([, r]) => r.Properties?.ResponseType === type,
      ) as [string, CfnResource]
    )[1].Properties ?? {};
  /** The template as API Gateway fills it in for a request. */
  const rendered = (type: string, method: string, path: string) =>
    JSON.parse(
      String((gatewayResponse(type).ResponseTemplates as Record<string, Json>)['application/json'])
        .replaceAll('$context.httpMethod', method)
        .replaceAll('$context.path', path),
    ) as unknown;

  it('answers an unknown route (and an unsigned IAM route) 404 Invalid URL, as OpenAI does', () => {
    expect(gatewayResponse('MISSING_AUTHENTICATION_TOKEN').StatusCode).toBe('404');
    expect(rendered('MISSING_AUTHENTICATION_TOKEN', 'POST', '/prod/v1/xyz')).toEqual({
      error: {
        message: 'Invalid URL (POST /prod/v1/xyz)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  it('answers a body over API Gateway 10 MB with a 413 naming the API limit', () => {
    expect(gatewayResponse('REQUEST_TOO_LARGE').StatusCode).toBe('413');
    expect(rendered('REQUEST_TOO_LARGE', 'POST', '/x')).toEqual({
      error: {
        message:
          "The request body is larger than API Gateway's 10 MB limit; this API accepts at most 1048576 bytes (1 MiB).",
        type: 'invalid_request_error',
        param: null,
        code: 'payload_too_large',
      },
    });
  });
});
