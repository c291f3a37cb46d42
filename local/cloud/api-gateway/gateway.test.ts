import type { Template } from '../../template/template';
import { fn, ref, request, startHarness, type Harness } from './test-support';

const CLF_TIME = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;
const ok = (body = 'ok') => ({ statusCode: 200, body });

const template: Template = {
  Resources: {
    Http: { Type: 'AWS::Serverless::HttpApi', Properties: {} },
    Rest: {
      Type: 'AWS::Serverless::Api',
      Properties: {
        StageName: 'v1',
        Variables: { color: 'blue' },
        BinaryMediaTypes: ['application~1octet-stream', 'image~1*'],
      },
    },
    Echo: fn({
      V2: { Type: 'HttpApi', Properties: { ApiId: ref('Http'), Path: '/items/{id}', Method: 'GET' } },
      V2Post: { Type: 'HttpApi', Properties: { ApiId: ref('Http'), Path: '/items', Method: 'POST' } },
      Proxy: { Type: 'HttpApi', Properties: { ApiId: ref('Http'), Path: '/files/{proxy+}', Method: 'ANY' } },
      V1Http: {
        Type: 'HttpApi',
        Properties: {
          ApiId: ref('Http'),
          Path: '/legacy/{name}',
          Method: 'GET',
          PayloadFormatVersion: '1.0',
        },
      },
      RestGet: { Type: 'Api', Properties: { RestApiId: ref('Rest'), Path: '/pets/{petId}', Method: 'GET' } },
      RestPost: { Type: 'Api', Properties: { RestApiId: ref('Rest'), Path: '/upload', Method: 'POST' } },
      RestProxy: {
        Type: 'Api',
        Properties: { RestApiId: ref('Rest'), Path: '/store/{proxy+}', Method: 'ANY' },
      },
    }),
    Special: fn({
      Literal: { Type: 'HttpApi', Properties: { ApiId: ref('Http'), Path: '/files/special', Method: 'GET' } },
    }),
    Infer: fn({
      Get: { Type: 'HttpApi', Properties: { ApiId: ref('Http'), Path: '/infer/{kind}', Method: 'GET' } },
    }),
    Shaped: fn({
      Get: { Type: 'HttpApi', Properties: { ApiId: ref('Http'), Path: '/shaped', Method: 'GET' } },
    }),
    Image: fn({
      Http: { Type: 'HttpApi', Properties: { ApiId: ref('Http'), Path: '/image', Method: 'GET' } },
      Rest: { Type: 'Api', Properties: { RestApiId: ref('Rest'), Path: '/image', Method: 'GET' } },
    }),
    Malformed: fn({
      Rest: { Type: 'Api', Properties: { RestApiId: ref('Rest'), Path: '/bad/{kind}', Method: 'GET' } },
      Http: { Type: 'HttpApi', Properties: { ApiId: ref('Http'), Path: '/bad/{kind}', Method: 'GET' } },
    }),
    Boom: fn({
      Http: { Type: 'HttpApi', Properties: { ApiId: ref('Http'), Path: '/boom', Method: 'GET' } },
      Rest: { Type: 'Api', Properties: { RestApiId: ref('Rest'), Path: '/boom', Method: 'GET' } },
    }),
    Slow: fn({
      Http: {
        Type: 'HttpApi',
        Properties: { ApiId: ref('Http'), Path: '/slow', Method: 'GET', TimeoutInMillis: 100 },
      },
    }),
    SharedHttp: fn({
      Get: { Type: 'HttpApi', Properties: { ApiId: ref('Http'), Path: '/shared', Method: 'GET' } },
    }),
    SharedRest: fn({
      Get: { Type: 'Api', Properties: { RestApiId: ref('Rest'), Path: '/shared', Method: 'GET' } },
    }),
  },
};

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]);

let h: Harness;
beforeAll(async () => {
  h = await startHarness(template, {
    Echo: () => ok(),
    Special: () => ok('special'),
    Infer: (e) => {
      const kind = (e.pathParameters as Record<string, string>).kind;
      if (kind === 'string') return 'Hello from Lambda!';
      if (kind === 'number') return 42;
      return { message: 'hi' };
    },
    Shaped: () => ({
      statusCode: 201,
      headers: { 'x-custom': 1, 'content-type': 'text/plain' },
      cookies: ['a=1; Path=/', 'b=2'],
      body: 'created',
    }),
    Image: () => ({
      statusCode: 200,
      headers: { 'Content-Type': 'image/png' },
      body: PNG.toString('base64'),
      isBase64Encoded: true,
    }),
    Malformed: (e) => {
      const kind = (e.pathParameters as Record<string, string>).kind;
      if (kind === 'object-body') return { statusCode: 200, body: { not: 'a string' } };
      if (kind === 'no-status') return { body: 'x' };
      return { statusCode: 200, body: 'x', extra: true };
    },
    Boom: () => {
      throw new Error('boom');
    },
    Slow: () => new Promise((resolve) => setTimeout(() => resolve(ok()), 400)),
    SharedHttp: () => ok('from http api'),
    SharedRest: () => ok('from rest api'),
  });
});
afterAll(() => h.close());

const lastEvent = (id: string) => h.events[id]![h.events[id]!.length - 1]!;

describe('payload format 2.0 events (HTTP API)', () => {
  it('carries the request field by field', async () => {
    const res = await request(h.gateway.url, 'GET', '/items/42?b=2&a=1&a=3&e=%20x', {
      headers: { 'User-Agent': 'jest-agent', 'X-Multi': ['a', 'b'], Cookie: 'c1=v1; c2=v2' },
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe('ok');
    expect(res.headers['apigw-requestid']).toBeDefined();
    const e = lastEvent('Echo');
    expect(e.version).toBe('2.0');
    expect(e.routeKey).toBe('GET /items/{id}');
    expect(e.rawPath).toBe('/items/42');
    expect(e.rawQueryString).toBe('b=2&a=1&a=3&e=%20x');
    expect(e.cookies).toEqual(['c1=v1', 'c2=v2']);
    const headers = e.headers as Record<string, string>;
    expect(headers['x-multi']).toBe('a,b');
    expect(headers['user-agent']).toBe('jest-agent');
    expect(headers.cookie).toBeUndefined();
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-port']).toBe(String(h.gateway.port));
    expect(headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(Object.keys(headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(e.queryStringParameters).toEqual({ b: '2', a: '1,3', e: ' x' });
    expect(e.pathParameters).toEqual({ id: '42' });
    expect(e.isBase64Encoded).toBe(false);
    expect('body' in e).toBe(false);
    expect('stageVariables' in e).toBe(false);
    const ctx = e.requestContext as Record<string, unknown>;
    expect(ctx).toMatchObject({
      accountId: '123456789012',
      apiId: 'http',
      domainName: '127.0.0.1',
      domainPrefix: 'http',
      http: {
        method: 'GET',
        path: '/items/42',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'jest-agent',
      },
      routeKey: 'GET /items/{id}',
      stage: '$default',
    });
    expect(ctx.requestId).toBe(res.headers['apigw-requestid']);
    expect(ctx.time).toMatch(CLF_TIME);
    expect(typeof ctx.timeEpoch).toBe('number');
    expect('authorizer' in ctx).toBe(false);
  });

  it('passes text bodies as text and binary ones (anything but text/*, json, xml, javascript) as base64', async () => {
    await request(h.gateway.url, 'POST', '/items', {
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: '{"name":"x"}',
    });
    expect(lastEvent('Echo')).toMatchObject({ body: '{"name":"x"}', isBase64Encoded: false });

    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    await request(h.gateway.url, 'POST', '/items', {
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    expect(lastEvent('Echo')).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });

    await request(h.gateway.url, 'POST', '/items', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=2',
    });
    expect(lastEvent('Echo')).toMatchObject({
      body: Buffer.from('a=1&b=2').toString('base64'),
      isBase64Encoded: true,
    });
  });

  it('matches greedy {proxy+} paths, prefers a literal route, and needs at least one segment', async () => {
    await request(h.gateway.url, 'DELETE', '/files/a/b%20c/d.txt');
    expect(lastEvent('Echo')).toMatchObject({
      routeKey: 'ANY /files/{proxy+}',
      pathParameters: { proxy: 'a/b c/d.txt' },
      requestContext: { http: { method: 'DELETE' } },
    });
    expect((await request(h.gateway.url, 'GET', '/files/special')).text).toBe('special');
    expect((await request(h.gateway.url, 'GET', '/files/special/more')).text).toBe('ok');
    const none = await request(h.gateway.url, 'GET', '/files');
    expect(none.status).toBe(404);
    expect(none.text).toBe('{"message":"Not Found"}');
  });

  it('infers the response when the function returns something other than {statusCode}', async () => {
    const s = await request(h.gateway.url, 'GET', '/infer/string');
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('application/json');
    expect(s.text).toBe('Hello from Lambda!');
    const o = await request(h.gateway.url, 'GET', '/infer/object');
    expect(o.status).toBe(200);
    expect(o.headers['content-type']).toBe('application/json');
    expect(o.text).toBe('{"message":"hi"}');
    expect((await request(h.gateway.url, 'GET', '/infer/number')).text).toBe('42');
  });

  it('turns a structured response into status, headers, set-cookie per cookie and a base64-decoded body', async () => {
    const res = await request(h.gateway.url, 'GET', '/shaped');
    expect(res.status).toBe(201);
    expect(res.headers['x-custom']).toBe('1');
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2']);
    expect(res.text).toBe('created');
    const img = await request(h.gateway.url, 'GET', '/image');
    expect(img.headers['content-type']).toBe('image/png');
    expect(img.body.equals(PNG)).toBe(true);
  });

  it('answers 500 {"message":"Internal Server Error"} for a function error or an unusable response', async () => {
    const boom = await request(h.gateway.url, 'GET', '/boom');
    expect(boom.status).toBe(500);
    expect(boom.text).toBe('{"message":"Internal Server Error"}');
    const bad = await request(h.gateway.url, 'GET', '/bad/object-body');
    expect(bad.status).toBe(500);
    expect(bad.text).toBe('{"message":"Internal Server Error"}');
  });

  it('answers 503 {"message":"Service Unavailable"} when the integration times out', async () => {
    const res = await request(h.gateway.url, 'GET', '/slow');
    expect(res.status).toBe(503);
    expect(res.text).toBe('{"message":"Service Unavailable"}');
  });
});

describe('payload format 1.0 events', () => {
  it('REST: carries the request field by field, reachable under the stage and at the bare path', async () => {
    const res = await request(h.gateway.url, 'GET', '/v1/pets/7?x=1&x=2&y=', {
      headers: { 'User-Agent': 'jest-agent', 'X-Multi': ['a', 'b'] },
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-amzn-requestid']).toBeDefined();
    const e = lastEvent('Echo');
    expect('version' in e).toBe(false);
    expect(e).toMatchObject({
      resource: '/pets/{petId}',
      path: '/pets/7',
      httpMethod: 'GET',
      queryStringParameters: { x: '2', y: '' },
      multiValueQueryStringParameters: { x: ['1', '2'], y: [''] },
      pathParameters: { petId: '7' },
      stageVariables: { color: 'blue' },
      body: null,
      isBase64Encoded: false,
    });
    const headers = e.headers as Record<string, string>;
    const multi = e.multiValueHeaders as Record<string, string[]>;
    expect(headers['X-Multi']).toBe('b');
    expect(multi['X-Multi']).toEqual(['a', 'b']);
    expect(headers['User-Agent']).toBe('jest-agent');
    expect(headers['X-Forwarded-Proto']).toBe('http');
    const ctx = e.requestContext as Record<string, unknown>;
    expect(ctx).toMatchObject({
      accountId: '123456789012',
      apiId: 'rest',
      httpMethod: 'GET',
      path: '/v1/pets/7',
      protocol: 'HTTP/1.1',
      resourcePath: '/pets/{petId}',
      stage: 'v1',
      identity: {
        sourceIp: '127.0.0.1',
        userAgent: 'jest-agent',
        apiKey: null,
        accessKey: null,
        caller: null,
        user: null,
        userArn: null,
        accountId: null,
        cognitoIdentityId: null,
      },
    });
    expect(ctx.requestId).toBe(res.headers['x-amzn-requestid']);
    expect(ctx.requestTime).toMatch(CLF_TIME);
    expect(typeof ctx.requestTimeEpoch).toBe('number');
    expect(typeof ctx.resourceId).toBe('string');

    const bare = await request(h.gateway.url, 'GET', '/pets/8');
    expect(bare.status).toBe(200);
    expect(lastEvent('Echo')).toMatchObject({
      path: '/pets/8',
      requestContext: { path: '/v1/pets/8', stage: 'v1' },
    });
  });

  it('REST: greedy proxy paths and binary bodies by BinaryMediaTypes', async () => {
    await request(h.gateway.url, 'PUT', '/v1/store/a/b');
    expect(lastEvent('Echo')).toMatchObject({
      resource: '/store/{proxy+}',
      pathParameters: { proxy: 'a/b' },
    });

    await request(h.gateway.url, 'POST', '/v1/upload', {
      headers: { 'Content-Type': 'application/octet-stream' },
      body: PNG,
    });
    expect(lastEvent('Echo')).toMatchObject({ body: PNG.toString('base64'), isBase64Encoded: true });
    await request(h.gateway.url, 'POST', '/v1/upload', {
      headers: { 'Content-Type': 'text/plain' },
      body: 'hi',
    });
    expect(lastEvent('Echo')).toMatchObject({ body: 'hi', isBase64Encoded: false });
  });

  it('REST: a base64 response body is decoded only for an Accept in BinaryMediaTypes', async () => {
    const bin = await request(h.gateway.url, 'GET', '/v1/image', { headers: { Accept: 'image/png' } });
    expect(bin.body.equals(PNG)).toBe(true);
    const text = await request(h.gateway.url, 'GET', '/v1/image', {
      headers: { Accept: 'application/json' },
    });
    expect(text.text).toBe(PNG.toString('base64'));
  });

  it('HTTP API payload 1.0: lower-case headers and version 1.0', async () => {
    await request(h.gateway.url, 'GET', '/legacy/bob?q=1', { headers: { 'X-Thing': 'v' } });
    const e = lastEvent('Echo');
    expect(e).toMatchObject({
      version: '1.0',
      resource: '/legacy/{name}',
      path: '/legacy/bob',
      httpMethod: 'GET',
      pathParameters: { name: 'bob' },
      queryStringParameters: { q: '1' },
      stageVariables: null,
      requestContext: { stage: '$default', resourcePath: '/legacy/{name}', path: '/legacy/bob' },
    });
    expect((e.headers as Record<string, string>)['x-thing']).toBe('v');
  });

  it('REST: a malformed proxy response or a function error is 502 {"message": "Internal server error"}', async () => {
    for (const path of ['/v1/bad/object-body', '/v1/bad/no-status', '/v1/bad/extra-key', '/v1/boom']) {
      const res = await request(h.gateway.url, 'GET', path);
      expect(res.status).toBe(502);
      expect(res.text).toBe('{"message": "Internal server error"}');
    }
  });
});

describe('routing across APIs', () => {
  it('REST answers 403 Missing Authentication Token for an unknown route or method under its stage', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nope'],
      ['DELETE', '/v1/pets/7'],
    ] as const) {
      const res = await request(h.gateway.url, method, path);
      expect(res.status).toBe(403);
      expect(res.text).toBe('{"message":"Missing Authentication Token"}');
      expect(res.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    }
  });

  it('on a path collision the HTTP API wins the bare path and the REST route stays under its stage', async () => {
    expect((await request(h.gateway.url, 'GET', '/shared')).text).toBe('from http api');
    expect((await request(h.gateway.url, 'GET', '/v1/shared')).text).toBe('from rest api');
  });

  it('an HttpApi with a named StageName is served at /<path> and at /<StageName>/<path>', async () => {
    const staged = await startHarness(
      {
        Resources: {
          Api: {
            Type: 'AWS::Serverless::HttpApi',
            Properties: { StageName: 'dev', StageVariables: { v: '1' } },
          },
          A: fn({ Get: { Type: 'HttpApi', Properties: { ApiId: ref('Api'), Path: '/a', Method: 'GET' } } }),
        },
      },
      { A: () => ok('a') },
    );
    try {
      expect((await request(staged.gateway.url, 'GET', '/a')).text).toBe('a');
      expect((await request(staged.gateway.url, 'GET', '/dev/a')).text).toBe('a');
      expect(staged.events.A![1]).toMatchObject({
        rawPath: '/dev/a',
        stageVariables: { v: '1' },
        requestContext: { stage: 'dev', http: { path: '/dev/a' } },
      });
    } finally {
      await staged.close();
    }
  });

  it('HTTP API $default catches what no route matched; REST-only templates answer 403', async () => {
    const withDefault = await startHarness(
      {
        Resources: {
          A: fn({ Get: { Type: 'HttpApi', Properties: { Path: '/a', Method: 'GET' } } }),
          D: fn({ All: { Type: 'HttpApi' } }),
        },
      },
      { A: () => ok('a'), D: () => ok('default') },
    );
    try {
      expect((await request(withDefault.gateway.url, 'GET', '/a')).text).toBe('a');
      expect((await request(withDefault.gateway.url, 'POST', '/a')).text).toBe('default');
      expect((await request(withDefault.gateway.url, 'GET', '/anything/else')).text).toBe('default');
      expect(withDefault.events.D![1]).toMatchObject({ routeKey: '$default', rawPath: '/anything/else' });
    } finally {
      await withDefault.close();
    }

    const restOnly = await startHarness(
      { Resources: { R: fn({ Get: { Type: 'Api', Properties: { Path: '/r', Method: 'GET' } } }) } },
      { R: () => ok('r') },
    );
    try {
      expect((await request(restOnly.gateway.url, 'GET', '/Prod/r')).text).toBe('r');
      expect((await request(restOnly.gateway.url, 'GET', '/r')).text).toBe('r');
      const miss = await request(restOnly.gateway.url, 'GET', '/nope');
      expect(miss.status).toBe(403);
      expect(miss.text).toBe('{"message":"Missing Authentication Token"}');
    } finally {
      await restOnly.close();
    }
  });
});
