/**
 * The cache extension as Lambda runs it: its built layer in the local sandbox (Node.js 24, frozen
 * between invokes), against the local cloud's SSM, Secrets Manager and DynamoDB through the real
 * SDK. Upstream calls are counted at the emulators themselves.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { buildWithMakefile } from '../../local/build/build';
import { projectRoot, realTemplate } from '../../local/checks/test-fixtures';
import { AwsError, startAwsJsonServer, type AwsJsonService } from '../../local/cloud/aws-json-protocol';
import { SecretStore } from '../../local/cloud/secrets-manager/secret-store';
import { secretsManagerService } from '../../local/cloud/secrets-manager/secrets-manager-service';
import { LOCAL_CREDENTIALS } from '../../local/cloud/seed';
import { startDynamoDb, type RunningService } from '../../local/cloud/services';
import { ParameterStore } from '../../local/cloud/ssm/parameter-store';
import { ssmService } from '../../local/cloud/ssm/ssm-service';
import { ExecutionEnvironment, type SandboxOptions } from '../../local/sandbox/execution-environment';
import type { FunctionConfig } from '../../local/sandbox/function-config';
import { ensureNodeRuntime } from '../../local/sandbox/node-runtime';
import { spawnedGroupIds, survivingGroups } from '../../local/sandbox/process-group';
import { CacheService, RequestError } from './cache-service';
import { CacheClient, CacheNotFoundError, CacheUpstreamError } from './client';
import { parseCacheConfig } from './config-file';
import { boundPort, startCacheServer } from './http-routes';
import { parseSettings } from './settings';
import { Sources } from './sources';

/** Counts each operation an emulator serves, and can make one fail as a throttled service would. */
function instrument(service: AwsJsonService) {
  const calls: Record<string, number> = {};
  const failing = new Set<string>();
  for (const [name, op] of Object.entries(service.operations)) {
    service.operations[name] = (input, ctx) => {
      calls[name] = (calls[name] ?? 0) + 1;
      if (failing.has(name)) throw new AwsError('ThrottlingException', 'Rate exceeded');
      return op(input, ctx);
    };
  }
  return { calls, failing };
}

const servers: http.Server[] = [];
let dynamodb: RunningService;
let ssm: ReturnType<typeof instrument> & { endpoint: string };
let secrets: ReturnType<typeof instrument> & { endpoint: string };
let layerDir: string;
let nodePath: string;
const sdk = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };

beforeAll(async () => {
  nodePath = await ensureNodeRuntime(24);
  layerDir = await buildWithMakefile(realTemplate(), 'CacheExtensionLayer', projectRoot);
  dynamodb = await startDynamoDb();
  const ssmSvc = ssmService(new ParameterStore());
  const smSvc = secretsManagerService(new SecretStore());
  const ssmCounters = instrument(ssmSvc);
  const smCounters = instrument(smSvc);
  const ssmServer = await startAwsJsonServer(ssmSvc);
  const smServer = await startAwsJsonServer(smSvc);
  servers.push(ssmServer.server, smServer.server);
  ssm = { ...ssmCounters, endpoint: ssmServer.endpoint };
  secrets = { ...smCounters, endpoint: smServer.endpoint };

  const ssmClient = new SSMClient({ ...sdk, endpoint: ssm.endpoint });
  await ssmClient.send(
    new PutParameterCommand({ Name: '/fixture/greeting', Type: 'String', Value: 'hello v1' }),
  );
  await ssmClient.send(
    new PutParameterCommand({ Name: '/fixture/short', Type: 'String', Value: 'short v1' }),
  );
  await ssmClient.send(
    new PutParameterCommand({ Name: '/fixture/lazy', Type: 'SecureString', Value: 'lazy v1' }),
  );
  await new SecretsManagerClient({ ...sdk, endpoint: secrets.endpoint }).send(
    new CreateSecretCommand({ Name: 'fixture/db', SecretString: '{"password":"first"}' }),
  );
  const ddb = new DynamoDBClient({ ...sdk, endpoint: dynamodb.endpoint });
  await ddb.send(
    new CreateTableCommand({
      TableName: 'fixture-items',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await ddb.send(
    new PutItemCommand({ TableName: 'fixture-items', Item: { pk: { S: 'a' }, n: { N: '42' } } }),
  );
}, 300_000);

// One environment at a time: the extension listens on its fixed port, as on Lambda, where every
// environment has its own network; locally they share the loopback.
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

afterAll(async () => {
  await dynamodb?.close();
  for (const s of servers) s.close();
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

const CONFIG = `parameters:
  - region: us-east-1
    names:
      - /fixture/greeting
      - name: /fixture/short
        ttl: 1s
      - /fixture/lazy
dynamodb:
  - table: fixture-items
    hashkey: pk
    hashkeytype: S
    hashkeyvalue: a
secrets:
  - id: fixture/db
    ttl: 1s
`;

const open: ExecutionEnvironment[] = [];

/** What the fixture function returns for a request it made to the extension. */
interface FixtureReply {
  status?: number;
  cache?: string;
  stale?: string;
  // The extension's JSON answer, as the tests read it field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body?: any;
  [key: string]: unknown;
}

async function environment(
  config = CONFIG,
  env: Record<string, string> = {},
  options: Partial<SandboxOptions> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'cache-ext-'));
  writeFileSync(join(dir, 'config.yaml'), config);
  const fn: FunctionConfig = {
    logicalId: 'CacheFixtureFunction',
    functionName: 'cache-fixture',
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    memorySizeMb: 256,
    timeoutSeconds: 10,
    architecture: 'x86_64',
    codeDir: join(__dirname, 'test-fixtures', 'function'),
    layerDirs: [layerDir],
    logFormat: 'Text',
    environment: {
      CACHE_EXTENSION_CONFIG: join(dir, 'config.yaml'),
      CACHE_EXTENSION_INIT_STARTUP: 'true',
      ...env,
    },
  };
  const lines: string[] = [];
  const sandbox = await ExecutionEnvironment.create(fn, {
    nodePath,
    extraEnv: {
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    },
    print: (l) => lines.push(l),
    ...options,
  });
  open.push(sandbox);
  const invoke = async (event: object) => {
    const result = await sandbox.invoke(JSON.stringify(event));
    return JSON.parse(result.payload.toString('utf8')) as FixtureReply;
  };
  return { sandbox, invoke, lines };
}

const get = (path: string, extra: object = {}) => ({ action: 'get', path, ...extra });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cache extension in the sandbox', () => {
  it('prefetches every configured item during INIT, so the function reads it while initialising', async () => {
    const before = ssm.calls.GetParameter ?? 0;
    const { invoke, lines } = await environment();
    const atInit = await invoke({ action: 'init' });
    expect(atInit).toMatchObject({
      status: 200,
      cache: 'hit',
      body: { Parameter: { Name: '/fixture/greeting', Value: 'hello v1' } },
    });
    expect((ssm.calls.GetParameter ?? 0) - before).toBe(3);
    expect(lines.some((l) => /\[cache-extension\] prefetched 5 of 5 item\(s\)/.test(l))).toBe(true);
    // Serves the demo's routes and AWS's extension's routes from the same cache.
    expect(await invoke(get('/dynamodb?name=fixture-items-a'))).toMatchObject({
      status: 200,
      body: { pk: 'a', n: 42 },
    });
    expect(await invoke(get('/secrets?name=fixture/db'))).toMatchObject({
      status: 200,
      body: { Name: 'fixture/db', SecretString: '{"password":"first"}' },
    });
    expect(
      await invoke(get('/systemsmanager/parameters/get?name=%2Ffixture%2Flazy&withDecryption=true')),
    ).toMatchObject({
      status: 200,
      body: { Parameter: { Type: 'SecureString', Value: 'lazy v1' } },
    });
  });

  it('without prefetch, answers the function’s INIT request once config.yaml (read after registering) is in', async () => {
    const before = ssm.calls.GetParameter ?? 0;
    const { invoke, lines } = await environment(CONFIG, { CACHE_EXTENSION_INIT_STARTUP: 'false' });
    // The request made during INIT waited for the config, then loaded the item on demand.
    expect(await invoke({ action: 'init' })).toMatchObject({
      status: 200,
      cache: 'miss',
      body: { Parameter: { Name: '/fixture/greeting', Value: 'hello v1' } },
    });
    expect((ssm.calls.GetParameter ?? 0) - before).toBe(1);
    expect(lines.some((l) => l.includes('prefetched'))).toBe(false);
    expect(await invoke(get('/parameters?name=/fixture/greeting'))).toMatchObject({ cache: 'hit' });
  });

  it('serves the same with CACHE_EXTENSION_LOW_MEMORY=true', async () => {
    const { invoke } = await environment(CONFIG, { CACHE_EXTENSION_LOW_MEMORY: 'true' });
    expect(await invoke({ action: 'init' })).toMatchObject({ status: 200, cache: 'hit' });
    expect(await invoke(get('/dynamodb?name=fixture-items-a'))).toMatchObject({
      status: 200,
      body: { pk: 'a', n: 42 },
    });
    expect(await invoke(get('/parameters?name=/fixture/nope'))).toMatchObject({ status: 404 });
  });

  it('refetches after the item TTL, also across a frozen period', async () => {
    const { invoke } = await environment();
    expect((await invoke(get('/parameters?name=/fixture/short'))).body.Parameter.Value).toBe('short v1');
    await new SSMClient({ ...sdk, endpoint: ssm.endpoint }).send(
      new PutParameterCommand({ Name: '/fixture/short', Type: 'String', Value: 'short v2', Overwrite: true }),
    );
    expect((await invoke(get('/parameters?name=/fixture/short'))).body.Parameter.Value).toBe('short v1'); // within 1 s: cached
    await sleep(1200); // the environment is frozen meanwhile
    const after = await invoke(get('/parameters?name=/fixture/short'));
    expect(after).toMatchObject({ cache: 'refreshed', body: { Parameter: { Value: 'short v2' } } });
  });

  it('picks up a rotated secret after its TTL; an unchanged one costs a DescribeSecret, not a GetSecretValue', async () => {
    const { invoke } = await environment();
    await invoke(get('/secrets?name=fixture/db'));
    await sleep(1100);
    const gets = secrets.calls.GetSecretValue ?? 0;
    const describes = secrets.calls.DescribeSecret ?? 0;
    expect((await invoke(get('/secrets?name=fixture/db'))).body.SecretString).toBe('{"password":"first"}');
    expect(secrets.calls.GetSecretValue).toBe(gets);
    expect(secrets.calls.DescribeSecret).toBe(describes + 1);
    await new SecretsManagerClient({ ...sdk, endpoint: secrets.endpoint }).send(
      new PutSecretValueCommand({ SecretId: 'fixture/db', SecretString: '{"password":"rotated"}' }),
    );
    await sleep(1100);
    expect((await invoke(get('/secrets?name=fixture/db'))).body.SecretString).toBe('{"password":"rotated"}');
  });

  it('refuses requests without the session token, through a proxy, or not GET', async () => {
    const { invoke } = await environment();
    expect(await invoke(get('/parameters?name=/fixture/greeting', { token: false }))).toMatchObject({
      status: 403,
      body: { __type: 'AccessDenied' },
    });
    expect(
      await invoke(
        get('/parameters?name=/fixture/greeting', { headers: { 'x-aws-parameters-secrets-token': 'guess' } }),
      ),
    ).toMatchObject({ status: 403 });
    expect(
      await invoke(
        get('/parameters?name=/fixture/greeting', { headers: { 'X-Forwarded-For': '203.0.113.9' } }),
      ),
    ).toMatchObject({
      status: 400,
      body: { __type: 'ForwardedRequest' },
    });
    expect(await invoke(get('/ping', { token: false }))).toMatchObject({ status: 200 });
  });

  it('makes one upstream call for concurrent misses', async () => {
    const { invoke } = await environment(CONFIG, { CACHE_EXTENSION_INIT_STARTUP: 'false' });
    const before = ssm.calls.GetParameter ?? 0;
    const results = (await invoke({
      action: 'concurrent',
      path: '/parameters?name=/fixture/greeting',
      n: 25,
    })) as unknown as Array<{ status: number }>;
    expect(results.map((r) => r.status)).toEqual(Array(25).fill(200));
    expect((ssm.calls.GetParameter ?? 0) - before).toBe(1);
  });

  it('serves the stale value with a header saying so while the source throttles, and errors by the contract', async () => {
    const { invoke } = await environment();
    await invoke(get('/parameters?name=/fixture/short'));
    await sleep(1100);
    ssm.failing.add('GetParameter');
    try {
      expect(await invoke(get('/parameters?name=/fixture/short'))).toMatchObject({
        status: 200,
        cache: 'stale',
        stale: 'ThrottlingException',
      });
      expect(await invoke(get('/systemsmanager/parameters/get?name=/never/cached'))).toMatchObject({
        status: 502,
        body: { __type: 'ThrottlingException' },
      });
    } finally {
      ssm.failing.delete('GetParameter');
    }
    expect(await invoke(get('/systemsmanager/parameters/get?name=/does/not/exist'))).toMatchObject({
      status: 404,
      body: { __type: 'ParameterNotFound' },
    });
    expect(await invoke(get('/parameters?name=/not/configured'))).toMatchObject({
      status: 404,
      body: { __type: 'UnknownItem' },
    });
    expect(await invoke(get('/systemsmanager/parameters/get'))).toMatchObject({
      status: 400,
      body: { __type: 'MissingParameter' },
    });
  });

  it('stays within its entry bound, evicting the least recently used item', async () => {
    const { invoke } = await environment(CONFIG, {
      CACHE_EXTENSION_INIT_STARTUP: 'false',
      CACHE_EXTENSION_MAX_ENTRIES: '2',
    });
    for (const name of ['/fixture/greeting', '/fixture/short', '/fixture/lazy'])
      await invoke(get(`/parameters?name=${name}`));
    expect(await invoke(get('/parameters?name=/fixture/lazy'))).toMatchObject({ cache: 'hit' });
    expect(await invoke(get('/parameters?name=/fixture/greeting'))).toMatchObject({ cache: 'miss' });
  });

  it.each([
    ['parameters:\n  - names: [a]\n    regoin: us-east-1\n', /config\.yaml:3: parameters\[0\]\.regoin: /],
    [
      'dynamodb:\n  - table: t\n    hashkey: pk\n    hashkeytype: X\n    hashkeyvalue: a\n',
      /config\.yaml:4: dynamodb\[0\]\.hashkeytype: "X" is not a DynamoDB key type/,
    ],
    ['secrets:\n  - id: [\n', /config\.yaml:\d+: /],
  ])('reports a bad config.yaml through /init/error, naming key and line: %j', async (config, message) => {
    for (const initStartup of ['true', 'false']) {
      const { sandbox, lines } = await environment(config, { CACHE_EXTENSION_INIT_STARTUP: initStartup });
      const result = await sandbox.invoke('{"action":"init"}');
      expect(result.errorType).toBe('Extension.ConfigInvalid');
      expect(JSON.parse(result.payload.toString('utf8')).errorMessage).toMatch(message);
      // Reported once per init attempt, never a crash loop of the extension within one.
      expect(lines.filter((l) => l.includes('configuration error')).length).toBeLessThanOrEqual(2);
    }
  });

  it('reports a port already in use through /init/error, naming the variable', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as net.AddressInfo).port);
      const { sandbox } = await environment(CONFIG, { CACHE_EXTENSION_PORT: port });
      const result = await sandbox.invoke('{"action":"init"}');
      expect(result.errorType).toBe('Extension.ConfigInvalid');
      expect(JSON.parse(result.payload.toString('utf8')).errorMessage).toMatch(
        new RegExp(`CACHE_EXTENSION_PORT: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`),
      );
    } finally {
      taken.close();
    }
  });

  it('reports a bad environment variable the same way', async () => {
    const { sandbox } = await environment(CONFIG, { CACHE_EXTENSION_TTL: '10' });
    const result = await sandbox.invoke('{"action":"init"}');
    expect(result.errorType).toBe('Extension.ConfigInvalid');
    expect(JSON.parse(result.payload.toString('utf8')).errorMessage).toMatch(/CACHE_EXTENSION_TTL/);
  });
});

describe('HTTP API and the typed client (in process, same emulators)', () => {
  let server: http.Server;
  let port: number;
  const token = 'session-token-for-test';

  beforeAll(async () => {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    });
    const settings = { ...parseSettings({ CACHE_EXTENSION_PORT: '4000' }), port: 0 };
    const service = new CacheService(settings, parseCacheConfig(CONFIG, 'config.yaml'), new Sources());
    server = await startCacheServer(Promise.resolve(service), 0, token);
    port = boundPort(server);
  });

  afterAll(() => {
    server.close();
    server.closeAllConnections();
  });

  it('holds requests until config.yaml is read, then answers; a bad config refuses them with 503', async () => {
    const settings = { ...parseSettings({}), port: 0 };
    for (const outcome of ['read', 'bad'] as const) {
      let settle!: () => void;
      const ready = new Promise<CacheService>((resolve, reject) => {
        settle = () =>
          outcome === 'read'
            ? resolve(new CacheService(settings, parseCacheConfig(CONFIG, 'config.yaml'), new Sources()))
            : reject(new RequestError(503, 'ExtensionConfigInvalid', 'config.yaml:1: parameters: bad'));
      });
      ready.catch(() => undefined);
      const waiting = await startCacheServer(ready, 0, token);
      try {
        let answered = false;
        const reply = fetch(`http://127.0.0.1:${boundPort(waiting)}/parameters?name=/fixture/greeting`, {
          headers: { 'x-aws-parameters-secrets-token': token },
        }).then(async (res) => {
          answered = true;
          return { status: res.status, body: (await res.json()) as { __type?: string } };
        });
        await new Promise((r) => setTimeout(r, 100));
        expect(answered).toBe(false);
        settle();
        const { status, body } = await reply;
        if (outcome === 'read') expect(status).toBe(200);
        else expect({ status, type: body.__type }).toEqual({ status: 503, type: 'ExtensionConfigInvalid' });
      } finally {
        waiting.close();
        waiting.closeAllConnections();
      }
    }
  });

  const request = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      ...init,
      headers: { 'x-aws-parameters-secrets-token': token, ...(init.headers as Record<string, string>) },
    });
    return {
      status: res.status,
      cache: res.headers.get('x-cache'),
      allow: res.headers.get('allow'),
      body: (await res.json()) as Record<string, unknown>,
    };
  };

  it('answers GET only, with the error contract for everything else', async () => {
    expect(await request('/parameters?name=/fixture/greeting', { method: 'POST' })).toMatchObject({
      status: 405,
      allow: 'GET',
      body: { __type: 'MethodNotAllowed' },
    });
    expect(await request('/nowhere')).toMatchObject({ status: 404, body: { __type: 'UnknownPath' } });
    expect(
      await request('/parameters?name=/fixture/greeting', { headers: { 'x-cache-control': 'sometimes' } }),
    ).toMatchObject({ status: 400 });
    expect(
      await request('/secretsmanager/get?secretId=fixture/db&versionId=x&versionStage=AWSCURRENT'),
    ).toMatchObject({ status: 400 });
  });

  it('serves AWS’s drop-in routes with their query parameters and honours refreshNow / nocache', async () => {
    const first = await request('/secretsmanager/get?secretId=fixture%2Fdb');
    expect(first).toMatchObject({ status: 200, body: { Name: 'fixture/db', VersionStages: ['AWSCURRENT'] } });
    expect((await request('/secretsmanager/get?secretId=fixture%2Fdb')).cache).toBe('hit');
    expect((await request('/secretsmanager/get?secretId=fixture%2Fdb&refreshNow=true')).cache).toBe(
      'refreshed',
    );
    expect(
      (
        await request('/systemsmanager/parameters/get?name=%2Ffixture%2Fgreeting', {
          headers: { 'x-cache-control': 'nocache' },
        })
      ).cache,
    ).toBe('uncached');
    expect(
      await request('/systemsmanager/parameters/get?name=%2Ffixture%2Fgreeting&version=1'),
    ).toMatchObject({ status: 200, body: { Parameter: { Version: 1 } } });
  });

  it('batches configured items, each with its own status', async () => {
    const { status, body } = await request(
      '/batch?name=parameters:/fixture/greeting&name=dynamodb:fixture-items-a&name=secrets:nope&name=bogus',
    );
    expect(status).toBe(200);
    expect(body['parameters:/fixture/greeting']).toMatchObject({
      status: 200,
      value: { Parameter: { Value: 'hello v1' } },
    });
    expect(body['dynamodb:fixture-items-a']).toMatchObject({ status: 200, value: { pk: 'a', n: 42 } });
    expect(body['secrets:nope']).toMatchObject({ status: 404, error: { __type: 'UnknownItem' } });
    expect(body.bogus).toMatchObject({ status: 400 });
  });

  it('gives functions a typed client that maps the contract to typed errors', async () => {
    const client = new CacheClient(port, token);
    expect(await client.getParameter('/fixture/greeting')).toBe('hello v1');
    expect(await client.getItem('fixture-items-a')).toEqual({ pk: 'a', n: 42 });
    expect(JSON.parse(await client.getSecret('fixture/db'))).toHaveProperty('password');
    await expect(client.getParameter('/not/configured')).rejects.toBeInstanceOf(CacheNotFoundError);
    await expect(new CacheClient(port, 'wrong').getParameter('/fixture/greeting')).rejects.toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
    await expect(new CacheClient(1, token).getParameter('/fixture/greeting')).rejects.toBeInstanceOf(
      CacheUpstreamError,
    );
  });
});
