import type { Template } from '../../template/template';
import { fn, getAtt, ref, request, startHarness, type Harness } from './test-support';

const template: Template = {
  Resources: {
    Api: {
      Type: 'AWS::Serverless::Api',
      Properties: {
        StageName: 'prod',
        Auth: {
          ApiKeyRequired: true,
          UsagePlan: { CreateUsagePlan: 'PER_API' },
          Authorizers: {
            Keyed: {
              FunctionArn: getAtt('KeyAuth'),
              Identity: { Header: 'Authorization', ReauthorizeEvery: 0 },
            },
          },
        },
      },
    },
    ByAuthorizer: {
      Type: 'AWS::Serverless::Api',
      Properties: {
        StageName: 'auth',
        ApiKeySourceType: 'AUTHORIZER',
        Auth: {
          ApiKeyRequired: true,
          Authorizers: {
            Keyed: {
              FunctionArn: getAtt('KeyAuth'),
              Identity: { Header: 'Authorization', ReauthorizeEvery: 0 },
            },
          },
        },
      },
    },
    KeyAuth: fn({}),
    App: fn({
      Keyed: { Type: 'Api', Properties: { RestApiId: ref('Api'), Path: '/keyed', Method: 'GET' } },
      Open: {
        Type: 'Api',
        Properties: { RestApiId: ref('Api'), Path: '/open', Method: 'GET', Auth: { ApiKeyRequired: false } },
      },
      ViaHeader: {
        Type: 'Api',
        Properties: { RestApiId: ref('Api'), Path: '/via', Method: 'GET', Auth: { Authorizer: 'Keyed' } },
      },
      ViaAuthorizer: {
        Type: 'Api',
        Properties: {
          RestApiId: ref('ByAuthorizer'),
          Path: '/via',
          Method: 'GET',
          Auth: { Authorizer: 'Keyed' },
        },
      },
    }),
  },
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness(
    template,
    {
      App: () => ({ statusCode: 200, body: 'app' }),
      KeyAuth: (e) => ({
        principalId: 'u',
        policyDocument: {
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: e.methodArn }],
        },
        usageIdentifierKey: e.authorizationToken === 'good' ? 'key-123' : 'unknown-key',
      }),
    },
    { apiKeys: ['key-123', 'key-456'] },
  );
});
afterAll(() => h.close());

describe('REST API keys', () => {
  it('ApiKeyRequired: a missing or unknown x-api-key is 403 {"message":"Forbidden"} without invoking', async () => {
    const calls = h.calls('App');
    for (const headers of [{}, { 'x-api-key': 'nope' }, { 'x-api-key': '' }] as Array<
      Record<string, string>
    >) {
      const res = await request(h.gateway.url, 'GET', '/prod/keyed', { headers });
      expect(res.status).toBe(403);
      expect(res.text).toBe('{"message":"Forbidden"}');
      expect(res.headers['x-amzn-errortype']).toBe('ForbiddenException');
    }
    expect(h.calls('App')).toBe(calls);
  });

  it('a configured key passes and reaches requestContext.identity.apiKey', async () => {
    const res = await request(h.gateway.url, 'GET', '/prod/keyed', { headers: { 'X-API-Key': 'key-456' } });
    expect(res.status).toBe(200);
    const event = h.events.App![h.events.App!.length - 1]!;
    expect((event.requestContext as { identity: Record<string, unknown> }).identity).toMatchObject({
      apiKey: 'key-456',
    });
  });

  it('the event can opt out with Auth.ApiKeyRequired: false', async () => {
    expect((await request(h.gateway.url, 'GET', '/prod/open')).status).toBe(200);
  });

  it("with ApiKeySourceType AUTHORIZER the authorizer's usageIdentifierKey is the key checked", async () => {
    const good = await request(h.gateway.url, 'GET', '/auth/via', { headers: { Authorization: 'good' } });
    expect(good.status).toBe(200);
    const bad = await request(h.gateway.url, 'GET', '/auth/via', {
      headers: { Authorization: 'bad', 'x-api-key': 'key-123' },
    });
    expect(bad.status).toBe(403);
    expect(bad.text).toBe('{"message":"Forbidden"}');
    // With the default HEADER source the authorizer's key is ignored.
    const header = await request(h.gateway.url, 'GET', '/prod/via', { headers: { Authorization: 'good' } });
    expect(header.status).toBe(403);
  });
});
