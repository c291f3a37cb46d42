import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../checks/test-fixtures';
import { fn, ref, startHarness, type Harness } from '../cloud/api-gateway/test-support';
import type { Template } from '../template/template';
import { parseCallArgs, regionFromHost, send, signRequest, UsageError } from './call';

/**
 * `npm run call`: SigV4 signing from the standard credential chain against the local gateway's
 * verifier, which refuses a tampered request with 403.
 */
const run = promisify(execFile);

const template: Template = {
  Resources: {
    Http: { Type: 'AWS::Serverless::HttpApi', Properties: { Auth: { EnableIamAuthorizer: true } } },
    Echo: fn({
      Signed: {
        Type: 'HttpApi',
        Properties: { ApiId: ref('Http'), Path: '/signed', Method: 'ANY', Auth: { Authorizer: 'AWS_IAM' } },
      },
    }),
  },
};

const KEY = { accessKeyId: 'AKIDCALLTEST', secretAccessKey: 'call-test-secret' };

let h: Harness;
beforeAll(async () => {
  h = await startHarness(
    template,
    {
      Echo: (event) => ({
        statusCode: 200,
        body: JSON.stringify({ body: event.body ?? null, query: event.rawQueryString }),
      }),
    },
    { credentials: (id) => (id === KEY.accessKeyId ? KEY.secretAccessKey : undefined) },
  );
});
afterAll(() => h.close());

/** The CLI as a user runs it, with credentials in the environment (the chain's first source). */
async function call(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(projectRoot, 'node_modules/tsx/dist/cli.mjs'), join(projectRoot, 'local/cli/call.ts'), ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: '/nonexistent',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_ACCESS_KEY_ID: KEY.accessKeyId,
          AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
          AWS_REGION: 'us-east-1',
          ...env,
        },
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('npm run call', () => {
  it('signs a GET and a POST with the credential chain; the gateway verifies both', async () => {
    const get = await call([`${h.gateway.url}/signed?b=2&a=1`]);
    expect(get).toMatchObject({ code: 0, stderr: 'HTTP 200\n' });
    expect(JSON.parse(get.stdout)).toEqual({ body: null, query: 'b=2&a=1' });
    const post = await call([`${h.gateway.url}/signed`, '--data', '{"hello":"world"}']);
    expect(post.code).toBe(0);
    expect(JSON.parse(post.stdout)).toEqual({ body: '{"hello":"world"}', query: '' });
    // The secret never reaches the output.
    expect(get.stdout + get.stderr + post.stdout + post.stderr).not.toContain(KEY.secretAccessKey);
  }, 90_000);

  it('signs exactly the query it sends: a literal + stays a plus', async () => {
    const plus = await call([`${h.gateway.url}/signed?q=a+b%20c&empty`]);
    expect(plus).toMatchObject({ code: 0, stderr: 'HTTP 200\n' });
    expect(JSON.parse(plus.stdout)).toEqual({ body: null, query: 'q=a%2Bb%20c&empty=' });
  }, 90_000);

  it('exits 1 with the 403 when the key is wrong, 2 with one line when there are no credentials', async () => {
    const wrong = await call([`${h.gateway.url}/signed`], { AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('HTTP 403\n');
    expect(JSON.parse(wrong.stdout).message).toMatch(/^The request signature we calculated does not match/);
    const none = await call([`${h.gateway.url}/signed`], {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^call: no AWS credentials found in the standard chain \(\w+\)\n$/);
  }, 90_000);

  it('a request tampered with after signing gets 403 from the gateway', async () => {
    const args = parseCallArgs([`${h.gateway.url}/signed`, '--data', '{"amount":1}'], {
      AWS_REGION: 'us-east-1',
    });
    const signed = await signRequest(args, KEY);
    expect((await send(signed)).status).toBe(200);
    const body = await send({ ...signed, body: '{"amount":1000}' });
    expect(body.status).toBe(403);
    const path = await send({ ...signed, url: new URL(`${h.gateway.url}/signed?admin=true`) });
    expect(path.status).toBe(403);
  });

  it('refuses bad input with a message naming the fix', () => {
    const env = { AWS_REGION: 'eu-west-1' };
    expect(() => parseCallArgs([], env)).toThrow(UsageError);
    expect(() => parseCallArgs(['not a url'], env)).toThrow(/is not a URL/);
    expect(() => parseCallArgs(['http://example.com/x'], env)).toThrow(
      /plain http is allowed for loopback only/,
    );
    expect(() => parseCallArgs(['ftp://127.0.0.1/x'], env)).toThrow(/must be http\(s\)/);
    expect(() => parseCallArgs(['https://h.example/x', '--method', 'FETCH'], env)).toThrow(/--method/);
    expect(() => parseCallArgs(['https://h.example/x', '--method', 'GET', '--data', 'x'], env)).toThrow(
      /carries no body/,
    );
    expect(() => parseCallArgs(['https://h.example/x', '--header', 'Authorization: x'], env)).toThrow(
      /the signature sets it/,
    );
    expect(() => parseCallArgs(['https://h.example/x', '--header', 'Host: other.example'], env)).toThrow(
      /it comes from the URL and the body/,
    );
    expect(() => parseCallArgs(['https://h.example/x'], {})).toThrow(/no region/);
    expect(parseCallArgs(['https://abc.execute-api.eu-central-1.amazonaws.com/prod/x'], {}).region).toBe(
      'eu-central-1',
    );
    expect(regionFromHost('abc.execute-api.us-west-2.amazonaws.com')).toBe('us-west-2');
    // The local gateway's region when the shell names none (it refuses other scopes, as execute-api does).
    expect(parseCallArgs(['http://127.0.0.1:3000/iam-echo'], {}).region).toBe('us-east-1');
    expect(parseCallArgs(['http://127.0.0.1:3000/iam-echo'], { AWS_REGION: 'eu-west-1' }).region).toBe(
      'eu-west-1',
    );
    expect(parseCallArgs(['https://h.example/x', '--data', '{}'], env).method).toBe('POST');
  });
});
