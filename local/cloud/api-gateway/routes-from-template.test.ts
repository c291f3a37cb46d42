import { join } from 'node:path';
import { loadTemplate, type Template } from '../../template/template';
import { apiRoutes, UnsupportedRouteError } from './routes-from-template';
import { fn, getAtt, ref, request, startHarness } from './test-support';

const ROOT = join(__dirname, '..', '..', '..');

describe('apiRoutes', () => {
  it("reads the repo's template.yaml: GET /hello on the HttpApi", () => {
    const routes = apiRoutes(loadTemplate(join(ROOT, 'template.yaml')));
    const hello = routes.find((r) => r.functionLogicalId === 'HelloFunction');
    expect(hello).toMatchObject({
      apiType: 'HTTP',
      apiLogicalId: 'HttpApi',
      apiId: 'httpapi',
      stage: '$default',
      method: 'GET',
      path: '/hello',
      routeKey: 'GET /hello',
      payloadFormatVersion: '2.0',
      auth: { type: 'NONE' },
      eventName: 'Hello',
    });
  });

  it("serves the repo's GET /hello through the gateway", async () => {
    const h = await startHarness(loadTemplate(join(ROOT, 'template.yaml')), {
      HelloFunction: () => ({ message: 'hello world' }),
    });
    try {
      const res = await request(h.gateway.url, 'GET', '/hello');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.text).toBe('{"message":"hello world"}');
      expect(h.events.HelloFunction![0]).toMatchObject({ routeKey: 'GET /hello', rawPath: '/hello' });
      expect((await request(h.gateway.url, 'POST', '/hello')).status).toBe(404);
    } finally {
      await h.close();
    }
  });

  it('HttpApi events: implicit API, $default route, ANY, payload version, default and per-route authorizers', () => {
    const template: Template = {
      Globals: { HttpApi: { StageVariables: { tier: 'gold' } } },
      Resources: {
        Api: {
          Type: 'AWS::Serverless::HttpApi',
          Properties: {
            StageName: 'dev',
            Auth: {
              DefaultAuthorizer: 'Simple',
              EnableIamAuthorizer: true,
              Authorizers: {
                Simple: {
                  FunctionArn: getAtt('AuthFn'),
                  AuthorizerPayloadFormatVersion: '2.0',
                  EnableSimpleResponses: true,
                  Identity: { Headers: ['Authorization'], Context: ['routeKey'], ReauthorizeEvery: 60 },
                },
                Policy: {
                  FunctionArn: { 'Fn::Sub': '${AuthFn.Arn}' },
                  AuthorizerPayloadFormatVersion: '1.0',
                },
              },
            },
          },
        },
        AuthFn: fn({}),
        Users: fn({
          List: { Type: 'HttpApi', Properties: { ApiId: ref('Api'), Path: '/users', Method: 'get' } },
          Any: {
            Type: 'HttpApi',
            Properties: {
              ApiId: ref('Api'),
              Path: '/users/{proxy+}',
              Method: 'ANY',
              PayloadFormatVersion: '1.0',
            },
          },
          Open: {
            Type: 'HttpApi',
            Properties: { ApiId: ref('Api'), Path: '/open', Method: 'GET', Auth: { Authorizer: 'NONE' } },
          },
          Iam: {
            Type: 'HttpApi',
            Properties: { ApiId: ref('Api'), Path: '/iam', Method: 'GET', Auth: { Authorizer: 'AWS_IAM' } },
          },
          Pol: {
            Type: 'HttpApi',
            Properties: { ApiId: ref('Api'), Path: '/pol', Method: 'GET', Auth: { Authorizer: 'Policy' } },
          },
        }),
        Catch: fn({ All: { Type: 'HttpApi' } }),
      },
    };
    const routes = apiRoutes(template);
    const by = (event: string) => routes.find((r) => r.eventName === event)!;
    expect(by('List')).toMatchObject({ method: 'GET', routeKey: 'GET /users', stage: 'dev' });
    expect(by('List').stageVariables).toEqual({ tier: 'gold' });
    expect(by('List').auth).toEqual({
      type: 'LAMBDA',
      authorizer: {
        kind: 'http-request',
        name: 'Simple',
        apiLogicalId: 'Api',
        functionLogicalId: 'AuthFn',
        payloadFormatVersion: '2.0',
        simpleResponses: true,
        identitySources: ['$request.header.Authorization', '$context.routeKey'],
        ttlSeconds: 60,
      },
    });
    expect(by('Any')).toMatchObject({ method: 'ANY', path: '/users/{proxy+}', payloadFormatVersion: '1.0' });
    expect(by('Open').auth).toEqual({ type: 'NONE' });
    expect(by('Iam').auth).toEqual({ type: 'AWS_IAM' });
    expect(by('Pol').auth).toMatchObject({
      authorizer: { name: 'Policy', payloadFormatVersion: '1.0', simpleResponses: false, ttlSeconds: 0 },
    });
    expect(by('All')).toMatchObject({
      apiLogicalId: 'ServerlessHttpApi',
      apiId: 'serverlesshttpapi',
      path: '$default',
      routeKey: '$default',
      stage: '$default',
      stageVariables: { tier: 'gold' },
    });
  });

  it('Api events: REST API, models, request parameters, TOKEN / REQUEST authorizers, API keys', () => {
    const template: Template = {
      Resources: {
        Rest: {
          Type: 'AWS::Serverless::Api',
          Properties: {
            StageName: 'prod',
            Variables: { color: 'blue' },
            BinaryMediaTypes: ['image~1png'],
            Models: { Thing: { type: 'object', required: ['a'] } },
            Auth: {
              DefaultAuthorizer: 'Token',
              ApiKeyRequired: true,
              UsagePlan: { CreateUsagePlan: 'PER_API', Throttle: { RateLimit: 5 } },
              Authorizers: {
                Token: {
                  FunctionArn: getAtt('AuthFn'),
                  Identity: { Header: 'X-Token', ValidationExpression: 'Bearer .*', ReauthorizeEvery: 0 },
                },
                Req: {
                  FunctionArn: getAtt('AuthFn'),
                  FunctionPayloadType: 'REQUEST',
                  Identity: { Headers: ['X-User'], QueryStrings: ['tenant'] },
                },
              },
            },
          },
        },
        AuthFn: fn({}),
        Things: fn({
          Post: {
            Type: 'Api',
            Properties: {
              RestApiId: ref('Rest'),
              Path: '/things/{id}',
              Method: 'post',
              RequestModel: { Model: 'Thing', Required: true, ValidateBody: true },
              RequestParameters: [
                'method.request.header.X-Trace',
                { 'method.request.querystring.q': { Required: true } },
              ],
            },
          },
          Get: {
            Type: 'Api',
            Properties: {
              RestApiId: ref('Rest'),
              Path: '/things',
              Method: 'GET',
              Auth: { Authorizer: 'Req', ApiKeyRequired: false },
            },
          },
          Implicit: { Type: 'Api', Properties: { Path: '/x', Method: 'GET' } },
        }),
      },
    };
    const routes = apiRoutes(template);
    const by = (event: string) => routes.find((r) => r.eventName === event)!;
    const post = by('Post');
    expect(post).toMatchObject({
      apiType: 'REST',
      apiId: 'rest',
      stage: 'prod',
      stageVariables: { color: 'blue' },
      method: 'POST',
      routeKey: 'POST /things/{id}',
      payloadFormatVersion: '1.0',
      apiKeyRequired: true,
      usagePlan: { createUsagePlan: 'PER_API', throttle: { rateLimit: 5 } },
      binaryMediaTypes: ['image/png'],
      requestModel: {
        name: 'Thing',
        schema: { type: 'object', required: ['a'] },
        required: true,
        validateBody: true,
        validateParameters: false,
      },
      timeoutMs: 29_000,
    });
    expect(post.requestParameters).toEqual([
      { location: 'path', name: 'id', required: true },
      { location: 'header', name: 'X-Trace', required: false },
      { location: 'querystring', name: 'q', required: true },
    ]);
    expect(post.auth).toEqual({
      type: 'LAMBDA',
      authorizer: {
        kind: 'rest-token',
        name: 'Token',
        apiLogicalId: 'Rest',
        functionLogicalId: 'AuthFn',
        identitySources: ['method.request.header.X-Token'],
        validationExpression: 'Bearer .*',
        ttlSeconds: 0,
      },
    });
    expect(by('Get')).toMatchObject({ apiKeyRequired: false });
    expect(by('Get').auth).toMatchObject({
      authorizer: {
        kind: 'rest-request',
        identitySources: ['method.request.header.X-User', 'method.request.querystring.tenant'],
        ttlSeconds: 300,
      },
    });
    expect(by('Implicit')).toMatchObject({
      apiLogicalId: 'ServerlessRestApi',
      stage: 'Prod',
      auth: { type: 'NONE' },
      apiKeyRequired: false,
    });
  });

  it('a JWT authorizer is an UnsupportedRouteError naming the resource and why', () => {
    const template: Template = {
      Resources: {
        Api: {
          Type: 'AWS::Serverless::HttpApi',
          Properties: {
            Auth: {
              DefaultAuthorizer: 'Jwt',
              Authorizers: {
                Jwt: {
                  IdentitySource: '$request.header.Authorization',
                  JwtConfiguration: { issuer: 'https://issuer.example', audience: ['a'] },
                },
              },
            },
          },
        },
        Fn: fn({ Get: { Type: 'HttpApi', Properties: { ApiId: ref('Api'), Path: '/x', Method: 'GET' } } }),
      },
    };
    let error: unknown;
    try {
      apiRoutes(template);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedRouteError);
    expect((error as UnsupportedRouteError).resource).toBe('Fn event Get (authorizer Api.Jwt)');
    expect((error as Error).message).toMatch(/JWT \(OAuth2\) authorizer/);
  });

  it('rejects Cognito authorizers, authorizer functions outside the template and APIs it cannot serve', () => {
    const cognito: Template = {
      Resources: {
        Rest: {
          Type: 'AWS::Serverless::Api',
          Properties: {
            StageName: 'v1',
            Auth: {
              DefaultAuthorizer: 'Pool',
              Authorizers: { Pool: { UserPoolArn: 'arn:aws:cognito-idp:x' } },
            },
          },
        },
        Fn: fn({ Get: { Type: 'Api', Properties: { RestApiId: ref('Rest'), Path: '/x', Method: 'GET' } } }),
      },
    };
    expect(() => apiRoutes(cognito)).toThrow(/Cognito user pool authorizer/);

    const outside: Template = {
      Resources: {
        Api: {
          Type: 'AWS::Serverless::HttpApi',
          Properties: {
            Auth: {
              Authorizers: {
                Ext: {
                  FunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:elsewhere',
                  AuthorizerPayloadFormatVersion: '2.0',
                },
              },
            },
          },
        },
        Fn: fn({
          Get: {
            Type: 'HttpApi',
            Properties: { ApiId: ref('Api'), Path: '/x', Method: 'GET', Auth: { Authorizer: 'Ext' } },
          },
        }),
      },
    };
    expect(() => apiRoutes(outside)).toThrow(UnsupportedRouteError);

    const rawApi: Template = {
      Resources: {
        Raw: { Type: 'AWS::ApiGatewayV2::Api', Properties: {} },
        Fn: fn({ Get: { Type: 'HttpApi', Properties: { ApiId: ref('Raw'), Path: '/x', Method: 'GET' } } }),
      },
    };
    expect(() => apiRoutes(rawApi)).toThrow(/serves AWS::Serverless::HttpApi resources only/);

    const iamOff: Template = {
      Resources: {
        Api: { Type: 'AWS::Serverless::HttpApi', Properties: {} },
        Fn: fn({
          Get: {
            Type: 'HttpApi',
            Properties: { ApiId: ref('Api'), Path: '/x', Method: 'GET', Auth: { Authorizer: 'AWS_IAM' } },
          },
        }),
      },
    };
    expect(() => apiRoutes(iamOff)).toThrow(/EnableIamAuthorizer/);
  });
});
