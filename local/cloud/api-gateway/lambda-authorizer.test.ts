import type { Template } from '../../template/template';
import { evaluatePolicy } from './lambda-authorizer';
import { fn, getAtt, ref, request, startHarness, type Harness } from './test-support';

const ARN_PREFIX = 'arn:aws:execute-api:us-east-1:123456789012';

const simple = (identity: Record<string, unknown>) => ({
  FunctionArn: getAtt('AuthFn'),
  AuthorizerPayloadFormatVersion: '2.0',
  EnableSimpleResponses: true,
  Identity: identity,
});

const route = (path: string, authorizer: string) => ({
  Type: 'HttpApi',
  Properties: { ApiId: ref('Api'), Path: path, Method: 'GET', Auth: { Authorizer: authorizer } },
});

const template: Template = {
  Resources: {
    Api: {
      Type: 'AWS::Serverless::HttpApi',
      Properties: {
        Auth: {
          Authorizers: {
            Simple: simple({ Headers: ['Authorization'], ReauthorizeEvery: 300 }),
            PerRoute: simple({ Headers: ['Authorization'], Context: ['routeKey'], ReauthorizeEvery: 300 }),
            NoCache: simple({ Headers: ['Authorization'], ReauthorizeEvery: 0 }),
            Policy: {
              FunctionArn: getAtt('PolicyFn'),
              AuthorizerPayloadFormatVersion: '2.0',
              Identity: { Headers: ['Authorization'] },
            },
            V1: {
              FunctionArn: getAtt('PolicyFn'),
              AuthorizerPayloadFormatVersion: '1.0',
              Identity: { QueryStrings: ['token'], ReauthorizeEvery: 0 },
            },
          },
        },
      },
    },
    Rest: {
      Type: 'AWS::Serverless::Api',
      Properties: {
        StageName: 'prod',
        Auth: {
          Authorizers: {
            Token: {
              FunctionArn: getAtt('TokenFn'),
              Identity: { Header: 'Authorization', ValidationExpression: 'Bearer [a-z]+' },
            },
            Req: {
              FunctionArn: getAtt('TokenFn'),
              FunctionPayloadType: 'REQUEST',
              Identity: { Headers: ['X-User'], QueryStrings: ['tenant'], ReauthorizeEvery: 0 },
            },
          },
        },
      },
    },
    AuthFn: fn({}),
    PolicyFn: fn({}),
    TokenFn: fn({}),
    App: fn({
      Users: route('/users', 'Simple'),
      Admins: route('/admins', 'Simple'),
      SeedUsers: route('/list-users', 'PerRoute'),
      SeedAdmins: route('/list-admins', 'PerRoute'),
      NoCache: route('/nocache', 'NoCache'),
      Policy: route('/policy/{id}', 'Policy'),
      V1: route('/v1auth', 'V1'),
      V1Payload: {
        Type: 'HttpApi',
        Properties: {
          ApiId: ref('Api'),
          Path: '/v1payload',
          Method: 'GET',
          PayloadFormatVersion: '1.0',
          Auth: { Authorizer: 'Simple' },
        },
      },
      RestToken: {
        Type: 'Api',
        Properties: { RestApiId: ref('Rest'), Path: '/r/{id}', Method: 'GET', Auth: { Authorizer: 'Token' } },
      },
      RestReq: {
        Type: 'Api',
        Properties: { RestApiId: ref('Rest'), Path: '/q', Method: 'GET', Auth: { Authorizer: 'Req' } },
      },
    }),
  },
};

/** The seed's authorizer: tokens allow / deny / fail; `user-token` is allowed for list-users only. */
function authFn(event: Record<string, unknown>) {
  const token = (event.headers as Record<string, string>).authorization;
  if (token === 'error') throw new Error('database down');
  if (token === 'unauth') throw new Error('Unauthorized');
  if (token === 'malformed') return { isAuthorized: 'yes' };
  if (token === 'user-token') {
    return { isAuthorized: String(event.routeKey).endsWith('list-users'), context: { role: 'user' } };
  }
  return { isAuthorized: token === 'allow', context: { user: 'alice', n: 1, tags: ['a'] } };
}

function policy(effect: string, resource: string | string[], principalId = 'p-1') {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
    context: { tenant: 't1', n: 7, ok: true },
  };
}

function policyFn(event: Record<string, unknown>) {
  return {
    principalId: 'p-1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${ARN_PREFIX}:*/*/GET/policy/*` },
        { Action: 'execute-api:*', Effect: 'Deny', Resource: `${ARN_PREFIX}:api/$default/GET/policy/2` },
        { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${ARN_PREFIX}:api/*/GET/v1auth` },
      ],
    },
    context: { tenant: String((event.identitySource as unknown) ?? '') },
  };
}

function tokenFn(event: Record<string, unknown>) {
  if (event.type === 'REQUEST') return policy('Allow', String(event.methodArn));
  const token = String(event.authorizationToken);
  if (token === 'Bearer good') return policy('Allow', String(event.methodArn), 'bob');
  if (token === 'Bearer deny') return policy('Deny', `${ARN_PREFIX}:rest/*`);
  if (token === 'Bearer other') return policy('Allow', `${ARN_PREFIX}:rest/prod/POST/*`);
  if (token === 'Bearer unauth') throw new Error('Unauthorized');
  if (token === 'Bearer nested') return { ...policy('Allow', '*'), context: { deep: { x: 1 } } };
  throw new Error('broken');
}

let h: Harness;
let clock = Date.parse('2024-05-01T12:00:00Z');
beforeAll(async () => {
  h = await startHarness(
    template,
    { AuthFn: authFn, PolicyFn: policyFn, TokenFn: tokenFn, App: () => ({ statusCode: 200, body: 'app' }) },
    { now: () => clock },
  );
});
afterAll(() => h.close());
beforeEach(() => h.gateway.clearAuthorizerCache());

const get = (path: string, headers: Record<string, string> = {}) =>
  request(h.gateway.url, 'GET', path, { headers });
const lastApp = () => h.events.App![h.events.App!.length - 1]!;
const lastOf = (id: string) => h.events[id]![h.events[id]!.length - 1]!;

describe('HTTP API Lambda authorizer (payload 2.0, simple responses)', () => {
  it('a missing identity source is 401 without invoking the authorizer', async () => {
    const before = h.calls('AuthFn');
    const res = await get('/users');
    expect(res.status).toBe(401);
    expect(res.text).toBe('{"message":"Unauthorized"}');
    expect(h.calls('AuthFn')).toBe(before);
    expect((await get('/users', { Authorization: '' })).status).toBe(401);
    expect(h.calls('AuthFn')).toBe(before);
  });

  it('allows, passing the context to the integration as requestContext.authorizer.lambda', async () => {
    const res = await get('/users', { Authorization: 'allow' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('app');
    expect((lastApp().requestContext as Record<string, unknown>).authorizer).toEqual({
      lambda: { user: 'alice', n: 1, tags: ['a'] },
    });
    const event = lastOf('AuthFn');
    expect(event).toMatchObject({
      version: '2.0',
      type: 'REQUEST',
      routeArn: `${ARN_PREFIX}:api/$default/GET/users`,
      identitySource: ['allow'],
      routeKey: 'GET /users',
      rawPath: '/users',
      headers: { authorization: 'allow' },
      requestContext: { routeKey: 'GET /users', stage: '$default', http: { method: 'GET' } },
    });
    expect('body' in event).toBe(false);
  });

  it('a deny is 403 {"message":"Forbidden"}', async () => {
    const res = await get('/users', { Authorization: 'deny' });
    expect(res.status).toBe(403);
    expect(res.text).toBe('{"message":"Forbidden"}');
  });

  it('an authorizer error or malformed response is 500; an Unauthorized error is 401', async () => {
    for (const token of ['error', 'malformed']) {
      const res = await get('/users', { Authorization: token });
      expect(res.status).toBe(500);
      expect(res.text).toBe('{"message":"Internal Server Error"}');
    }
    const res = await get('/users', { Authorization: 'unauth' });
    expect(res.status).toBe(401);
    expect(res.text).toBe('{"message":"Unauthorized"}');
  });

  it('caches the result for ReauthorizeEvery seconds, keyed by the identity source values', async () => {
    const before = h.gateway.authorizerStats('Simple');
    const calls = h.calls('AuthFn');
    expect((await get('/users', { Authorization: 'allow' })).status).toBe(200);
    expect((await get('/users', { Authorization: 'allow' })).status).toBe(200);
    expect((await get('/users', { Authorization: 'deny' })).status).toBe(403);
    expect((await get('/users', { Authorization: 'deny' })).status).toBe(403);
    expect(h.calls('AuthFn')).toBe(calls + 2);
    const after = h.gateway.authorizerStats('Simple');
    expect(after.invocations - before.invocations).toBe(2);
    expect(after.cacheHits - before.cacheHits).toBe(2);
    expect(after.cacheMisses - before.cacheMisses).toBe(2);
    expect(after.cacheEntries).toBe(2);

    clock += 301_000; // past the TTL
    expect((await get('/users', { Authorization: 'allow' })).status).toBe(200);
    expect(h.calls('AuthFn')).toBe(calls + 3);
  });

  it('ReauthorizeEvery 0 invokes the authorizer on every request', async () => {
    const calls = h.calls('AuthFn');
    await get('/nocache', { Authorization: 'allow' });
    await get('/nocache', { Authorization: 'allow' });
    expect(h.calls('AuthFn')).toBe(calls + 2);
    expect(h.gateway.authorizerStats('NoCache')).toMatchObject({ cacheHits: 0, cacheEntries: 0 });
  });

  it('without $context.routeKey a cached allow for one route also allows another (the seed bug)', async () => {
    const calls = h.calls('AuthFn');
    expect((await get('/users', { Authorization: 'allow' })).status).toBe(200);
    expect((await get('/admins', { Authorization: 'allow' })).status).toBe(200);
    expect(h.calls('AuthFn')).toBe(calls + 1);
  });

  it('with $context.routeKey an allow for GET /list-users does not allow GET /list-admins for the same token', async () => {
    const calls = h.calls('AuthFn');
    const users = await get('/list-users', { Authorization: 'user-token' });
    expect(users.status).toBe(200);
    expect(lastOf('AuthFn').identitySource).toEqual(['user-token', 'GET /list-users']);
    const admins = await get('/list-admins', { Authorization: 'user-token' });
    expect(admins.status).toBe(403);
    expect(admins.text).toBe('{"message":"Forbidden"}');
    expect(h.calls('AuthFn')).toBe(calls + 2);
    expect(h.gateway.authorizerStats('PerRoute').cacheEntries).toBe(2);
    // Both results are cached, each for its own route.
    expect((await get('/list-users', { Authorization: 'user-token' })).status).toBe(200);
    expect((await get('/list-admins', { Authorization: 'user-token' })).status).toBe(403);
    expect(h.calls('AuthFn')).toBe(calls + 2);
  });

  it('payload 1.0 integrations get the context in requestContext.authorizer', async () => {
    expect((await get('/v1payload', { Authorization: 'allow' })).status).toBe(200);
    expect((lastApp().requestContext as Record<string, unknown>).authorizer).toEqual({
      user: 'alice',
      n: 1,
      tags: ['a'],
      integrationLatency: 0,
    });
  });
});

describe('HTTP API Lambda authorizer returning IAM policies', () => {
  it('evaluates Allow / Deny on the route ARN, re-evaluating a cached policy per request', async () => {
    const calls = h.calls('PolicyFn');
    expect((await get('/policy/1', { Authorization: 'tok' })).status).toBe(200);
    expect((lastApp().requestContext as Record<string, unknown>).authorizer).toEqual({
      lambda: { tenant: 'tok' },
    });
    const denied = await get('/policy/2', { Authorization: 'tok' });
    expect(denied.status).toBe(403);
    expect(denied.text).toBe('{"message":"Forbidden"}');
    expect(h.calls('PolicyFn')).toBe(calls + 1);
  });

  it('payload 1.0 authorizer events and a query-string identity source', async () => {
    expect((await get('/v1auth')).status).toBe(401);
    expect((await get('/v1auth?token=abc')).status).toBe(200);
    expect(lastOf('PolicyFn')).toMatchObject({
      version: '1.0',
      type: 'REQUEST',
      methodArn: `${ARN_PREFIX}:api/$default/GET/v1auth`,
      identitySource: 'abc',
      authorizationToken: 'abc',
      resource: '/v1auth',
      path: '/v1auth',
      httpMethod: 'GET',
      queryStringParameters: { token: 'abc' },
    });
  });
});

describe('REST Lambda authorizers', () => {
  it('TOKEN: a missing or non-matching token is 401 without invoking', async () => {
    const calls = h.calls('TokenFn');
    for (const headers of [{}, { Authorization: 'Basic abc' }] as Array<Record<string, string>>) {
      const res = await get('/prod/r/1', headers);
      expect(res.status).toBe(401);
      expect(res.text).toBe('{"message":"Unauthorized"}');
      expect(res.headers['x-amzn-errortype']).toBe('UnauthorizedException');
    }
    expect(h.calls('TokenFn')).toBe(calls);
  });

  it('TOKEN: allow passes principalId and the context (as strings) in requestContext.authorizer', async () => {
    const res = await get('/prod/r/1', { Authorization: 'Bearer good' });
    expect(res.status).toBe(200);
    expect(lastOf('TokenFn')).toEqual({
      type: 'TOKEN',
      authorizationToken: 'Bearer good',
      methodArn: `${ARN_PREFIX}:rest/prod/GET/r/1`,
    });
    expect((lastApp().requestContext as Record<string, unknown>).authorizer).toEqual({
      principalId: 'bob',
      tenant: 't1',
      n: '7',
      ok: 'true',
      integrationLatency: 0,
    });
    // Cached for the default 300 s: the policy was for /r/1, so /r/2 is refused without a call.
    const calls = h.calls('TokenFn');
    expect((await get('/prod/r/2', { Authorization: 'Bearer good' })).status).toBe(403);
    expect(h.calls('TokenFn')).toBe(calls);
  });

  it('TOKEN: explicit and implicit denies are 403 AccessDeniedException', async () => {
    const deny = await get('/prod/r/1', { Authorization: 'Bearer deny' });
    expect(deny.status).toBe(403);
    expect(deny.text).toBe(
      '{"Message":"User is not authorized to access this resource with an explicit deny"}',
    );
    expect(deny.headers['x-amzn-errortype']).toBe('AccessDeniedException');
    const other = await get('/prod/r/1', { Authorization: 'Bearer other' });
    expect(other.status).toBe(403);
    expect(other.text).toBe('{"Message":"User is not authorized to access this resource"}');
  });

  it('TOKEN: an Unauthorized error is 401, other errors and bad responses 500 {"message":null}', async () => {
    expect((await get('/prod/r/1', { Authorization: 'Bearer unauth' })).status).toBe(401);
    for (const token of ['Bearer broken', 'Bearer nested']) {
      const res = await get('/prod/r/1', { Authorization: token });
      expect(res.status).toBe(500);
      expect(res.text).toBe('{"message":null}');
      expect(res.headers['x-amzn-errortype']).toBe('AuthorizerConfigurationException');
    }
  });

  it('REQUEST: all identity sources are required; the event carries the request', async () => {
    const calls = h.calls('TokenFn');
    expect((await get('/prod/q', { 'X-User': 'u1' })).status).toBe(401);
    expect(h.calls('TokenFn')).toBe(calls);
    expect((await get('/prod/q?tenant=t9', { 'X-User': 'u1' })).status).toBe(200);
    expect(lastOf('TokenFn')).toMatchObject({
      type: 'REQUEST',
      methodArn: `${ARN_PREFIX}:rest/prod/GET/q`,
      resource: '/q',
      path: '/q',
      httpMethod: 'GET',
      headers: { 'X-User': 'u1' },
      multiValueHeaders: { 'X-User': ['u1'] },
      queryStringParameters: { tenant: 't9' },
      multiValueQueryStringParameters: { tenant: ['t9'] },
      requestContext: { resourcePath: '/q', stage: 'prod', path: '/prod/q' },
    });
  });
});

describe('evaluatePolicy', () => {
  const s = (effect: 'Allow' | 'Deny', resources: string[], actions = ['execute-api:Invoke']) => ({
    effect,
    actions,
    resources,
  });
  const arn = `${ARN_PREFIX}:abc/prod/GET/pets/1`;
  it('explicit Deny beats Allow; no match is an implicit deny; * and ? are wildcards', () => {
    expect(evaluatePolicy([s('Allow', [`${ARN_PREFIX}:abc/*`])], arn)).toBe('allow');
    expect(evaluatePolicy([s('Allow', ['*']), s('Deny', [`${ARN_PREFIX}:abc/prod/GET/pets/?`])], arn)).toBe(
      'deny',
    );
    expect(evaluatePolicy([s('Allow', [`${ARN_PREFIX}:abc/prod/POST/*`])], arn)).toBe('implicit-deny');
    expect(evaluatePolicy([s('Allow', ['*'], ['s3:GetObject'])], arn)).toBe('implicit-deny');
    expect(evaluatePolicy([s('Allow', ['*'], ['execute-api:*'])], arn)).toBe('allow');
  });
});
