// The operator scripts' SigV4 signing for the admin API (IAM auth): requests go to the stage's
// path, are signed for service execute-api in the stack's region with the caller's credentials,
// carry the body's hash, and keep the query; the local transport sends the admin key instead.
import { describe, expect, it } from 'vitest';
import { signedAdminRequest } from '../../infra/scripts/admin-client.ts';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

describe('signedAdminRequest', () => {
  it('signs for execute-api in the region, on the stage path, with the query kept', async () => {
    const { url, init } = await signedAdminRequest(
      {
        apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
        region: 'eu-west-1',
        credentials,
      },
      'GET',
      '/admin/tenants/acme/usage?group_by=day&from=2026-11-01',
    );
    expect(url).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/admin/tenants/acme/usage?group_by=day&from=2026-11-01',
    );
    const headers = init.headers as Record<string, string>;
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(headers.host).toBe('abc123.execute-api.eu-west-1.amazonaws.com');
    expect(init.body).toBeUndefined();
  });

  it('signs a JSON body with its content type and hash', async () => {
    const body = { id: 'acme', name: 'Acme' };
    const { init } = await signedAdminRequest(
      { apiUrl: 'https://x.execute-api.us-east-1.amazonaws.com/prod', region: 'us-east-1', credentials },
      'POST',
      '/admin/tenants',
      body,
    );
    const headers = init.headers as Record<string, string>;
    expect(init.body).toBe('{"id":"acme","name":"Acme"}');
    expect(headers['content-type']).toBe('application/json');
    // sha256 of the exact body bytes
    expect(headers['x-amz-content-sha256']).toBe(
      'bdc424e960f81bf8ed7f55f821b28cc400f95716cd31b459d1250c10a94164b7',
    );
    expect(headers.authorization).toContain(
      'SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date',
    );
  });
});
