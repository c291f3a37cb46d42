import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Template } from '../../template/template';
import { canonicalPath } from './sigv4-verifier';
import { fn, ref, request, startHarness, type Harness } from './test-support';

const template: Template = {
  Resources: {
    Http: { Type: 'AWS::Serverless::HttpApi', Properties: { Auth: { EnableIamAuthorizer: true } } },
    Rest: { Type: 'AWS::Serverless::Api', Properties: { StageName: 'prod' } },
    Iam: fn({
      HttpPost: {
        Type: 'HttpApi',
        Properties: { ApiId: ref('Http'), Path: '/signed', Method: 'POST', Auth: { Authorizer: 'AWS_IAM' } },
      },
      HttpGet: {
        Type: 'HttpApi',
        Properties: {
          ApiId: ref('Http'),
          Path: '/signed/{item}',
          Method: 'GET',
          Auth: { Authorizer: 'AWS_IAM' },
        },
      },
      RestPost: {
        Type: 'Api',
        Properties: {
          RestApiId: ref('Rest'),
          Path: '/signed',
          Method: 'POST',
          Auth: { Authorizer: 'AWS_IAM' },
        },
      },
    }),
  },
};

const CREDENTIALS: Record<string, string | { secretAccessKey: string; userArn: string; userId: string }> = {
  AKIDLOCALUSER: 'local-secret-key',
  ASIALOCALROLE: {
    secretAccessKey: 'role-secret',
    userArn: 'arn:aws:sts::123456789012:assumed-role/dev/jest',
    userId: 'AROALOCALROLE:jest',
  },
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness(
    template,
    { Iam: () => ({ statusCode: 200, body: 'signed ok' }) },
    {
      credentials: (id) => CREDENTIALS[id],
      region: 'eu-west-1',
    },
  );
});
afterAll(() => h.close());

interface SignOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  service?: string;
  signingDate?: Date;
}

/** Signs like an AWS SDK client calling execute-api, then sends the request as signed. */
async function signedRequest(
  method: string,
  path: string,
  query: Record<string, string | string[]>,
  body: string | undefined,
  o: SignOptions = {},
) {
  const signer = new SignatureV4({
    service: o.service ?? 'execute-api',
    region: o.region ?? 'eu-west-1',
    credentials: {
      accessKeyId: o.accessKeyId ?? 'AKIDLOCALUSER',
      secretAccessKey: o.secretAccessKey ?? 'local-secret-key',
      ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}),
    },
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: h.gateway.port,
      path,
      query,
      headers: {
        host: `127.0.0.1:${h.gateway.port}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    },
    { signingDate: o.signingDate ?? new Date() },
  );
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const one of Array.isArray(v) ? v : [v]) qs.append(k, one);
  const search = qs.toString().replace(/\+/g, '%20');
  return {
    headers: signed.headers,
    send: (overrides: { body?: string } = {}) =>
      request(h.gateway.url, method, search ? `${path}?${search}` : path, {
        headers: signed.headers,
        ...((overrides.body ?? body) !== undefined ? { body: overrides.body ?? body } : {}),
      }),
  };
}

const lastEvent = () => h.events.Iam![h.events.Iam!.length - 1]!;

describe('SigV4 on AWS_IAM routes', () => {
  it('a signature scoped to another region than the API’s is refused, as execute-api does', async () => {
    const { send } = await signedRequest('POST', '/signed', {}, '{}', { region: 'us-east-1' });
    const res = await send();
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toEqual({
      message: "Credential should be scoped to a valid region, not 'us-east-1'. ",
    });
  });

  it('a valid signature reaches the function with the caller in requestContext.authorizer.iam', async () => {
    const { send } = await signedRequest('POST', '/signed', {}, '{"hello":"world"}');
    const res = await send();
    expect(res.status).toBe(200);
    expect(res.text).toBe('signed ok');
    expect((lastEvent().requestContext as Record<string, unknown>).authorizer).toEqual({
      iam: {
        accessKey: 'AKIDLOCALUSER',
        accountId: '123456789012',
        callerId: 'AKIDLOCALUSER',
        cognitoIdentity: null,
        principalOrgId: null,
        userArn: 'arn:aws:iam::123456789012:user/AKIDLOCALUSER',
        userId: 'AKIDLOCALUSER',
      },
    });
    expect(lastEvent().body).toBe('{"hello":"world"}');
  });

  it('verifies query strings, encoded paths and session tokens', async () => {
    const { send } = await signedRequest(
      'GET',
      '/signed/a%20b',
      { b: '2', a: ['1', '0'], sp: 'x y', star: "it's*" },
      undefined,
      {
        accessKeyId: 'ASIALOCALROLE',
        secretAccessKey: 'role-secret',
        sessionToken: 'tok',
      },
    );
    const res = await send();
    expect(res.status).toBe(200);
    expect(lastEvent()).toMatchObject({ pathParameters: { item: 'a b' } });
    expect(
      (lastEvent().requestContext as { authorizer: { iam: Record<string, unknown> } }).authorizer.iam,
    ).toMatchObject({
      accessKey: 'ASIALOCALROLE',
      userArn: 'arn:aws:sts::123456789012:assumed-role/dev/jest',
      userId: 'AROALOCALROLE:jest',
      callerId: 'AROALOCALROLE:jest',
    });
  });

  it('REST: the caller fills requestContext.identity', async () => {
    const { send } = await signedRequest('POST', '/prod/signed', {}, '{}');
    const res = await send();
    expect(res.status).toBe(200);
    expect((lastEvent().requestContext as Record<string, unknown>).identity).toMatchObject({
      accessKey: 'AKIDLOCALUSER',
      accountId: '123456789012',
      caller: 'AKIDLOCALUSER',
      user: 'AKIDLOCALUSER',
      userArn: 'arn:aws:iam::123456789012:user/AKIDLOCALUSER',
    });
  });

  it('a tampered body is 403 with the signature-mismatch message, without invoking', async () => {
    const calls = h.calls('Iam');
    const { send } = await signedRequest('POST', '/signed', {}, '{"amount":1}');
    const res = await send({ body: '{"amount":1000}' });
    expect(res.status).toBe(403);
    expect(res.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
    const message = (res.json() as { message: string }).message;
    expect(message).toMatch(
      /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\. Consult the service documentation for details\.\n\nThe Canonical String for this request should have been\n'POST\n\/signed\n/,
    );
    expect(message).toContain("The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n");
    expect(h.calls('Iam')).toBe(calls);
  });

  it('a wrong secret is the same mismatch', async () => {
    const { send } = await signedRequest('POST', '/signed', {}, '{}', { secretAccessKey: 'wrong' });
    const res = await send();
    expect(res.status).toBe(403);
    expect((res.json() as { message: string }).message).toMatch(
      /^The request signature we calculated does not match/,
    );
  });

  it('no Authorization header is 403 Missing Authentication Token', async () => {
    const res = await request(h.gateway.url, 'POST', '/signed', { body: '{}' });
    expect(res.status).toBe(403);
    expect(res.text).toBe('{"message":"Missing Authentication Token"}');
    expect(res.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
  });

  it('an unknown access key is 403 "The security token included in the request is invalid."', async () => {
    const { send } = await signedRequest('POST', '/signed', {}, '{}', { accessKeyId: 'AKIDNOBODY' });
    const res = await send();
    expect(res.status).toBe(403);
    expect(res.text).toBe('{"message":"The security token included in the request is invalid."}');
    expect(res.headers['x-amzn-errortype']).toBe('UnrecognizedClientException');
  });

  it('a signature older than the 15-minute clock-skew window has expired', async () => {
    const { send } = await signedRequest('POST', '/signed', {}, '{}', {
      signingDate: new Date(Date.now() - 20 * 60 * 1000),
    });
    const res = await send();
    expect(res.status).toBe(403);
    expect((res.json() as { message: string }).message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/,
    );
    const recent = await signedRequest('POST', '/signed', {}, '{}', {
      signingDate: new Date(Date.now() - 10 * 60 * 1000),
    });
    expect((await recent.send()).status).toBe(200);
  });

  it('a credential scoped to another service, or a non-SigV4 Authorization, is refused', async () => {
    const other = await signedRequest('POST', '/signed', {}, '{}', { service: 'lambda' });
    const res = await other.send();
    expect(res.status).toBe(403);
    expect(res.text).toBe(`{"message":"Credential should be scoped to correct service: 'execute-api'. "}`);

    const bearer = await request(h.gateway.url, 'POST', '/signed', {
      headers: { Authorization: 'Bearer abc' },
    });
    expect(bearer.status).toBe(403);
    expect(bearer.headers['x-amzn-errortype']).toBe('IncompleteSignatureException');
    expect((bearer.json() as { message: string }).message).toBe(
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
        "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of " +
        "either a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer abc",
    );
  });
});

describe('canonicalPath', () => {
  it('normalises dot and empty segments and encodes the path again', () => {
    expect(canonicalPath('/')).toBe('/');
    expect(canonicalPath('/a/./b/../c//d/')).toBe('/a/c/d/');
    expect(canonicalPath('/a%20b/c*')).toBe('/a%2520b/c%2A');
  });
});
