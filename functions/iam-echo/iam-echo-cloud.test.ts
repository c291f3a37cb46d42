import { LOCAL_CREDENTIALS } from '../../local/cloud/seed';
import { parseCallArgs, send, signRequest } from '../../local/cli/call';
import { spawnedGroupIds, survivingGroups } from '../../local/sandbox/process-group';
import { startTestCloud, type TestCloud } from '../../local/cloud/test-cloud';

/**
 * Point 5 of issue 9: the `AWS_IAM` route `/iam-echo` on the samples' HTTP API, called as
 * `npm run call` does (SigV4 with the local credentials), on the local cloud.
 */
let samples: TestCloud;

beforeAll(async () => {
  samples = await startTestCloud([
    'CacheExtensionLayer',
    'SamplesHttpApi',
    'SamplesUserTokenSecret',
    'SamplesAdminTokenSecret',
    'AuthorizerFunction',
    'IamEchoFunction',
  ]);
}, 300_000);

afterAll(async () => {
  await samples?.stop();
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

const signed = (argv: string[]) =>
  signRequest(parseCallArgs([`${samples.gateway.url}/iam-echo`, ...argv], { AWS_REGION: 'us-east-1' }), {
    accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
    secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
  });

describe('samples: IAM-signed access', () => {
  it('answers a signed request with the caller’s identity and what it sent', async () => {
    const res = await send(await signed(['--data', '{"ping":1}']));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      caller: expect.objectContaining({ accountId: '123456789012', userArn: expect.any(String) }),
      method: 'POST',
      path: '/iam-echo',
      body: '{"ping":1}',
    });
  });

  it('refuses an unsigned request and a tampered one with 403 before the function runs', async () => {
    const before = samples.gatewayInvocations('IamEchoFunction');
    const unsigned = await fetch(`${samples.gateway.url}/iam-echo`);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toEqual({ message: 'Missing Authentication Token' });
    const tampered = await send({ ...(await signed(['--data', '{"ping":1}'])), body: '{"ping":2}' });
    expect(tampered.status).toBe(403);
    expect(samples.gatewayInvocations('IamEchoFunction')).toBe(before);
  });

  it('answers 403 itself when invoked without the IAM context (4xx, never a crash)', async () => {
    const result = await samples.cloud.invoke('IamEchoFunction', '{}');
    expect(result.errorType).toBeUndefined();
    expect(JSON.parse(result.payload.toString('utf8')).statusCode).toBe(403);
  });
});
