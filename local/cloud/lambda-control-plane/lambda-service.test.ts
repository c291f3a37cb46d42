import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvokeCommand,
  ListAliasesCommand,
  ListFunctionsCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
  paginateListFunctions,
} from '@aws-sdk/client-lambda';
import type { InvokeInfo, InvokeResponse } from './lambda-service';
import { ACCOUNT, ROLE, arnOf, fnInput, lambdaHarness, rejection, type LambdaHarness } from './test-helpers';

const zip = Buffer.from('PK\u0003\u0004 not really a zip');
const text = (payload: Uint8Array | undefined) => Buffer.from(payload ?? new Uint8Array()).toString('utf8');

describe('Lambda control plane over the real LambdaClient', () => {
  let h: LambdaHarness;
  afterEach(async () => h?.close());

  describe('functions', () => {
    beforeEach(async () => {
      h = await lambdaHarness();
    });

    it('creates a function and reads it back with GetFunction and GetFunctionConfiguration', async () => {
      const created = await h.lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'orders',
          Role: ROLE,
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Code: { ZipFile: zip },
          MemorySize: 256,
          Timeout: 10,
          Environment: { Variables: { STAGE: 'dev' } },
          Tags: { team: 'payments' },
          Architectures: ['arm64'],
        }),
      );
      expect(created).toMatchObject({
        FunctionName: 'orders',
        FunctionArn: arnOf('orders'),
        Version: '$LATEST',
        MemorySize: 256,
        Timeout: 10,
        CodeSize: zip.length,
        Architectures: ['arm64'],
        Environment: { Variables: { STAGE: 'dev' } },
        State: 'Active',
      });
      expect(created.$metadata.httpStatusCode).toBe(201);
      expect(created.RevisionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

      const got = await h.lambda.send(new GetFunctionCommand({ FunctionName: 'orders' }));
      expect(got.Configuration?.FunctionArn).toBe(arnOf('orders'));
      expect(got.Tags).toEqual({ team: 'payments' });
      expect(got.Code?.RepositoryType).toBe('S3');
      expect(got.Code?.Location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/local-code\/orders\//);

      const config = await h.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'orders' }));
      expect(config.Handler).toBe('index.handler');
      expect(config.RevisionId).toBe(created.RevisionId);
    });

    it('refuses a duplicate name with ResourceConflictException', async () => {
      h.registry.createFunction(fnInput('dup'));
      const e = await rejection(
        h.lambda.send(new CreateFunctionCommand({ ...fnInput('dup'), Code: { ZipFile: zip } } as never)),
      );
      expect(e.name).toBe('ResourceConflictException');
      expect(e.message).toBe('Function already exist: dup');
    });

    it('refuses request members it does not emulate instead of ignoring them', async () => {
      const e = await rejection(
        h.lambda.send(
          new CreateFunctionCommand({
            ...fnInput('layered'),
            Code: { ZipFile: zip },
            Layers: ['arn:aws:lambda:us-east-1:123456789012:layer:x:1'],
          } as never),
        ),
      );
      expect(e.name).toBe('InvalidParameterValueException');
      expect(e.message).toContain('Layers');
      expect(h.registry.has('layered')).toBe(false);
    });

    it('answers an unknown function with 404 ResourceNotFoundException and AWS wording', async () => {
      const e = await rejection(h.lambda.send(new GetFunctionCommand({ FunctionName: 'nope' })));
      expect(e.name).toBe('ResourceNotFoundException');
      expect(e.message).toBe(`Function not found: ${arnOf('nope')}`);
      expect(e.Type).toBe('User');
      expect((e.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(404);

      const q = await rejection(
        h.lambda.send(new GetFunctionCommand({ FunctionName: 'nope', Qualifier: 'live' })),
      );
      expect(q.message).toBe(`Function not found: ${arnOf('nope', 'live')}`);
    });

    it('resolves name, full ARN, partial ARN and name:qualifier', async () => {
      h.registry.createFunction(fnInput('billing'));
      h.registry.publishVersion('billing');
      h.registry.createAlias('billing', 'live', { FunctionVersion: '1' });
      for (const ref of ['billing', arnOf('billing'), `${ACCOUNT}:function:billing`]) {
        const got = await h.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: ref }));
        expect(got.FunctionArn).toBe(arnOf('billing'));
      }
      const viaAlias = await h.lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: 'billing:live' }),
      );
      expect(viaAlias).toMatchObject({ FunctionArn: arnOf('billing', 'live'), Version: '1' });
      const viaArn = await h.lambda.send(new GetFunctionCommand({ FunctionName: arnOf('billing', 'live') }));
      expect(viaArn.Configuration?.Version).toBe('1');

      const mismatch = await rejection(
        h.lambda.send(new GetFunctionCommand({ FunctionName: 'billing:live', Qualifier: '1' })),
      );
      expect(mismatch.name).toBe('InvalidParameterValueException');

      const otherRegion = await rejection(
        h.lambda.send(
          new GetFunctionCommand({ FunctionName: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:billing` }),
        ),
      );
      expect(otherRegion.name).toBe('InvalidParameterValueException');

      const otherAccount = await rejection(
        h.lambda.send(new GetFunctionCommand({ FunctionName: '999999999999:function:billing' })),
      );
      expect(otherAccount.message).toBe(
        'Function not found: arn:aws:lambda:us-east-1:999999999999:function:billing',
      );

      const invalid = await rejection(h.lambda.send(new GetFunctionCommand({ FunctionName: 'bad name!' })));
      expect(invalid.name).toBe('ValidationException');
    });

    it('pages ListFunctions 50 at a time and collects all 120 functions', async () => {
      for (let i = 0; i < 120; i++) h.registry.createFunction(fnInput(`fn-${String(i).padStart(3, '0')}`));
      const first = await h.lambda.send(new ListFunctionsCommand({ MaxItems: 500 }));
      expect(first.Functions).toHaveLength(50);
      expect(first.NextMarker).toBeTruthy();
      expect(first.Functions?.[0]).not.toHaveProperty('State');

      const names: string[] = [];
      let pages = 0;
      for await (const page of paginateListFunctions({ client: h.lambda, pageSize: 50 }, {})) {
        pages++;
        names.push(...(page.Functions ?? []).map((f) => f.FunctionName!));
      }
      expect(pages).toBe(3);
      expect(names).toHaveLength(120);
      expect(new Set(names).size).toBe(120);

      const small = await h.lambda.send(new ListFunctionsCommand({ MaxItems: 7 }));
      expect(small.Functions).toHaveLength(7);
      const next = await h.lambda.send(new ListFunctionsCommand({ MaxItems: 7, Marker: small.NextMarker }));
      expect(next.Functions?.[0]?.FunctionName).toBe('fn-007');

      const bad = await rejection(h.lambda.send(new ListFunctionsCommand({ Marker: 'not-a-marker!' })));
      expect(bad.name).toBe('InvalidParameterValueException');
    });

    it('lists published versions with FunctionVersion=ALL and ListVersionsByFunction', async () => {
      h.registry.createFunction(fnInput('versioned'));
      const v1 = await h.lambda.send(
        new PublishVersionCommand({ FunctionName: 'versioned', Description: 'first' }),
      );
      expect(v1).toMatchObject({ Version: '1', FunctionArn: arnOf('versioned', '1'), Description: 'first' });
      const again = await h.lambda.send(new PublishVersionCommand({ FunctionName: 'versioned' }));
      expect(again.Version).toBe('1');
      await h.lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: 'versioned', MemorySize: 512 }),
      );
      const v2 = await h.lambda.send(new PublishVersionCommand({ FunctionName: 'versioned' }));
      expect(v2).toMatchObject({ Version: '2', MemorySize: 512 });

      const all = await h.lambda.send(new ListFunctionsCommand({ FunctionVersion: 'ALL' }));
      expect(all.Functions?.map((f) => f.Version)).toEqual(['$LATEST', '1', '2']);
      const latestOnly = await h.lambda.send(new ListFunctionsCommand({}));
      expect(latestOnly.Functions?.map((f) => f.Version)).toEqual(['$LATEST']);
      const versions = await h.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'versioned' }));
      expect(versions.Versions?.map((f) => f.Version)).toEqual(['$LATEST', '1', '2']);
    });

    it('updates Environment, MemorySize and Timeout, with RevisionId as a precondition', async () => {
      const created = h.registry.createFunction(fnInput('cfg', { Environment: { Variables: { A: '1' } } }));
      const updated = await h.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: arnOf('cfg'),
          MemorySize: 1024,
          Timeout: 30,
          Environment: { Variables: { B: '2' } },
          RevisionId: created.RevisionId,
        }),
      );
      expect(updated).toMatchObject({
        MemorySize: 1024,
        Timeout: 30,
        Environment: { Variables: { B: '2' } },
      });
      expect(updated.RevisionId).not.toBe(created.RevisionId);

      const stale = await rejection(
        h.lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: 'cfg',
            Timeout: 5,
            RevisionId: created.RevisionId,
          }),
        ),
      );
      expect(stale.name).toBe('PreconditionFailedException');
      expect((stale.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(412);

      const tooLong = await rejection(
        h.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cfg', Timeout: 901 })),
      );
      expect(tooLong.name).toBe('InvalidParameterValueException');
      const reserved = await rejection(
        h.lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: 'cfg',
            Environment: { Variables: { AWS_REGION: 'x' } },
          }),
        ),
      );
      expect(reserved.message).toContain('AWS_REGION');
    });

    it('deletes a function, and one published version by qualifier', async () => {
      h.registry.createFunction(fnInput('gone', { Publish: true }));
      await h.lambda.send(new DeleteFunctionCommand({ FunctionName: 'gone', Qualifier: '1' }));
      const v = await h.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'gone' }));
      expect(v.Versions?.map((x) => x.Version)).toEqual(['$LATEST']);
      const latest = await rejection(
        h.lambda.send(new DeleteFunctionCommand({ FunctionName: 'gone', Qualifier: '$LATEST' })),
      );
      expect(latest.name).toBe('InvalidParameterValueException');

      const deleted = await h.lambda.send(new DeleteFunctionCommand({ FunctionName: 'gone' }));
      expect(deleted.$metadata.httpStatusCode).toBe(204);
      const e = await rejection(h.lambda.send(new GetFunctionCommand({ FunctionName: 'gone' })));
      expect(e.name).toBe('ResourceNotFoundException');
      const again = await rejection(h.lambda.send(new DeleteFunctionCommand({ FunctionName: 'gone' })));
      expect(again.name).toBe('ResourceNotFoundException');
    });
  });

  describe('tags', () => {
    beforeEach(async () => {
      h = await lambdaHarness();
      h.registry.createFunction(fnInput('tagged', { Tags: { a: '1' } }));
    });

    it('lists, adds and removes tags (tagKeys repeated in the query)', async () => {
      await h.lambda.send(new TagResourceCommand({ Resource: arnOf('tagged'), Tags: { b: '2', c: '3' } }));
      expect((await h.lambda.send(new ListTagsCommand({ Resource: arnOf('tagged') }))).Tags).toEqual({
        a: '1',
        b: '2',
        c: '3',
      });
      await h.lambda.send(new UntagResourceCommand({ Resource: arnOf('tagged'), TagKeys: ['a', 'c'] }));
      expect((await h.lambda.send(new ListTagsCommand({ Resource: arnOf('tagged') }))).Tags).toEqual({
        b: '2',
      });
      const fn = await h.lambda.send(new GetFunctionCommand({ FunctionName: 'tagged' }));
      expect(fn.Tags).toEqual({ b: '2' });
    });

    it('refuses non-ARN and qualified resources, and unknown functions', async () => {
      const name = await rejection(h.lambda.send(new ListTagsCommand({ Resource: 'tagged' })));
      expect(name.name).toBe('ValidationException');
      const qualified = await rejection(
        h.lambda.send(new TagResourceCommand({ Resource: arnOf('tagged', 'live'), Tags: { x: 'y' } })),
      );
      expect(qualified.name).toBe('InvalidParameterValueException');
      const missing = await rejection(h.lambda.send(new ListTagsCommand({ Resource: arnOf('missing') })));
      expect(missing.message).toBe(`Function not found: ${arnOf('missing')}`);
      const reserved = await rejection(
        h.lambda.send(new TagResourceCommand({ Resource: arnOf('tagged'), Tags: { 'aws:x': 'y' } })),
      );
      expect(reserved.name).toBe('InvalidParameterValueException');
    });
  });

  describe('aliases', () => {
    beforeEach(async () => {
      h = await lambdaHarness();
      h.registry.createFunction(fnInput('svc', { Publish: true }));
      h.registry.updateFunctionConfiguration('svc', { MemorySize: 256 });
      h.registry.publishVersion('svc');
    });

    it('creates, reads, lists, updates and deletes an alias', async () => {
      const created = await h.lambda.send(
        new CreateAliasCommand({
          FunctionName: 'svc',
          Name: 'live',
          FunctionVersion: '1',
          Description: 'prod',
        }),
      );
      expect(created).toMatchObject({ AliasArn: arnOf('svc', 'live'), Name: 'live', FunctionVersion: '1' });
      expect(created.$metadata.httpStatusCode).toBe(201);
      await h.lambda.send(
        new CreateAliasCommand({ FunctionName: arnOf('svc'), Name: 'beta', FunctionVersion: '$LATEST' }),
      );

      const got = await h.lambda.send(new GetAliasCommand({ FunctionName: 'svc', Name: 'live' }));
      expect(got.Description).toBe('prod');
      const listed = await h.lambda.send(new ListAliasesCommand({ FunctionName: 'svc' }));
      expect(listed.Aliases?.map((a) => a.Name)).toEqual(['beta', 'live']);
      const onV1 = await h.lambda.send(new ListAliasesCommand({ FunctionName: 'svc', FunctionVersion: '1' }));
      expect(onV1.Aliases?.map((a) => a.Name)).toEqual(['live']);

      const updated = await h.lambda.send(
        new UpdateAliasCommand({
          FunctionName: 'svc',
          Name: 'live',
          FunctionVersion: '2',
          RevisionId: got.RevisionId,
        }),
      );
      expect(updated.FunctionVersion).toBe('2');
      expect(updated.RevisionId).not.toBe(got.RevisionId);
      const stale = await rejection(
        h.lambda.send(
          new UpdateAliasCommand({ FunctionName: 'svc', Name: 'live', RevisionId: got.RevisionId }),
        ),
      );
      expect(stale.name).toBe('PreconditionFailedException');

      await h.lambda.send(new DeleteAliasCommand({ FunctionName: 'svc', Name: 'beta' }));
      const gone = await rejection(h.lambda.send(new GetAliasCommand({ FunctionName: 'svc', Name: 'beta' })));
      expect(gone.name).toBe('ResourceNotFoundException');
      expect(gone.message).toBe(`Alias not found: ${arnOf('svc', 'beta')}`);
    });

    it('refuses duplicate aliases, missing versions and numeric names', async () => {
      await h.lambda.send(
        new CreateAliasCommand({ FunctionName: 'svc', Name: 'live', FunctionVersion: '1' }),
      );
      const dup = await rejection(
        h.lambda.send(new CreateAliasCommand({ FunctionName: 'svc', Name: 'live', FunctionVersion: '1' })),
      );
      expect(dup.name).toBe('ResourceConflictException');
      const noVersion = await rejection(
        h.lambda.send(new CreateAliasCommand({ FunctionName: 'svc', Name: 'x', FunctionVersion: '9' })),
      );
      expect(noVersion.name).toBe('ResourceNotFoundException');
      const numeric = await rejection(
        h.lambda.send(new CreateAliasCommand({ FunctionName: 'svc', Name: '12', FunctionVersion: '1' })),
      );
      expect(numeric.name).toBe('ValidationException');
    });
  });

  describe('Invoke', () => {
    const calls: Array<{
      name: string;
      qualifier: string;
      payload: string;
      clientContext?: string;
      info: InvokeInfo;
    }> = [];
    const longLog = `${'x'.repeat(5000)}END-OF-LOG`;
    beforeEach(async () => {
      calls.length = 0;
      h = await lambdaHarness({
        throttle: false,
        invoke: (name, qualifier, payload, clientContext, info): InvokeResponse => {
          calls.push({ name, qualifier, payload: payload.toString(), clientContext, info });
          const input = payload.length ? (JSON.parse(payload.toString()) as { fail?: boolean }) : {};
          if (input.fail) {
            return {
              payload: JSON.stringify({ errorType: 'Error', errorMessage: 'boom' }),
              functionError: 'Unhandled',
              logTail: longLog,
            };
          }
          return {
            payload: JSON.stringify({ echo: input, version: info.executedVersion }),
            logTail: longLog,
          };
        },
      });
      h.registry.createFunction(fnInput('worker', { Publish: true }));
      h.registry.createAlias('worker', 'live', { FunctionVersion: '1' });
    });

    it('runs RequestResponse and returns the payload and executed version', async () => {
      const out = await h.lambda.send(
        new InvokeCommand({ FunctionName: 'worker', Payload: Buffer.from(JSON.stringify({ n: 1 })) }),
      );
      expect(out.StatusCode).toBe(200);
      expect(out.ExecutedVersion).toBe('$LATEST');
      expect(out.FunctionError).toBeUndefined();
      expect(out.LogResult).toBeUndefined();
      expect(JSON.parse(text(out.Payload))).toEqual({ echo: { n: 1 }, version: '$LATEST' });
      expect(calls[0]).toMatchObject({ name: 'worker', qualifier: '$LATEST' });
    });

    it('invokes through an alias qualifier (parameter or ARN suffix)', async () => {
      const viaParam = await h.lambda.send(new InvokeCommand({ FunctionName: 'worker', Qualifier: 'live' }));
      expect(viaParam.ExecutedVersion).toBe('1');
      const viaArn = await h.lambda.send(new InvokeCommand({ FunctionName: arnOf('worker', 'live') }));
      expect(viaArn.ExecutedVersion).toBe('1');
      expect(calls.map((c) => c.qualifier)).toEqual(['live', 'live']);
      expect(calls[0]!.info.functionArn).toBe(arnOf('worker', 'live'));
      const missing = await rejection(
        h.lambda.send(new InvokeCommand({ FunctionName: 'worker', Qualifier: 'nope' })),
      );
      expect(missing.message).toBe(`Function not found: ${arnOf('worker', 'nope')}`);
    });

    it('sets X-Amz-Function-Error and returns the last 4 KB of log with LogType Tail', async () => {
      const out = await h.lambda.send(
        new InvokeCommand({
          FunctionName: 'worker',
          LogType: 'Tail',
          Payload: Buffer.from(JSON.stringify({ fail: true })),
        }),
      );
      expect(out.StatusCode).toBe(200);
      expect(out.FunctionError).toBe('Unhandled');
      expect(JSON.parse(text(out.Payload))).toEqual({ errorType: 'Error', errorMessage: 'boom' });
      const log = Buffer.from(out.LogResult!, 'base64');
      expect(log.length).toBe(4096);
      expect(log.toString().endsWith('END-OF-LOG')).toBe(true);
    });

    it('answers 202 for Event, 204 for DryRun, and passes the client context', async () => {
      const context = Buffer.from(JSON.stringify({ custom: { k: 'v' } })).toString('base64');
      const event = await h.lambda.send(
        new InvokeCommand({
          FunctionName: 'worker',
          InvocationType: 'Event',
          ClientContext: context,
          Payload: Buffer.from('{}'),
        }),
      );
      expect(event.StatusCode).toBe(202);
      const dry = await h.lambda.send(
        new InvokeCommand({ FunctionName: 'worker', InvocationType: 'DryRun' }),
      );
      expect(dry.StatusCode).toBe(204);
      await new Promise((r) => setTimeout(r, 20));
      expect(calls).toHaveLength(1);
      expect(calls[0]!.info.invocationType).toBe('Event');
      expect(JSON.parse(calls[0]!.clientContext!)).toEqual({ custom: { k: 'v' } });
    });

    it('rejects a payload that is not JSON and an unknown function', async () => {
      const bad = await rejection(
        h.lambda.send(new InvokeCommand({ FunctionName: 'worker', Payload: Buffer.from('{oops') })),
      );
      expect(bad.name).toBe('InvalidRequestContentException');
      const missing = await rejection(h.lambda.send(new InvokeCommand({ FunctionName: 'ghost' })));
      expect(missing.name).toBe('ResourceNotFoundException');
    });
  });

  it('says so when started without a function runtime', async () => {
    h = await lambdaHarness({ throttle: false });
    h.registry.createFunction(fnInput('idle'));
    const e = await rejection(h.lambda.send(new InvokeCommand({ FunctionName: 'idle' })));
    expect(e.name).toBe('UnsupportedOperationException');
    expect((e.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
  });

  describe('routes it does not serve', () => {
    const signed = {
      authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request',
    };
    beforeEach(async () => {
      h = await lambdaHarness();
      h.registry.createFunction(fnInput('f'));
    });

    it('names a real Lambda operation it does not emulate with a 4xx error', async () => {
      const e = await rejection(h.lambda.send(new GetPolicyCommand({ FunctionName: 'f' })));
      expect(e.name).toBe('UnsupportedOperationException');
      expect(e.message).toContain('GetPolicy');
      expect((e.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
    });

    it('answers an unknown path with 404 UnknownOperationException, never a stack trace', async () => {
      const res = await fetch(`${h.plane.endpoint}/2099-01-01/nothing-here`, { headers: signed });
      expect(res.status).toBe(404);
      expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      const body = (await res.json()) as { message: string };
      expect(body.message).toContain('/2099-01-01/nothing-here');
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts/);
    });

    it('requires a SigV4 Authorization header, before it looks at the path', async () => {
      for (const path of ['/2015-03-31/functions/f', '/2099-01-01/nothing-here']) {
        const res = await fetch(`${h.plane.endpoint}${path}`);
        expect(res.status).toBe(403);
        expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
      }
    });

    it('serves error bodies in Lambda’s shape', async () => {
      const res = await fetch(`${h.plane.endpoint}/2015-03-31/functions/zzz`, { headers: signed });
      expect(res.status).toBe(404);
      expect(res.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
      expect(await res.json()).toEqual({ Type: 'User', Message: `Function not found: ${arnOf('zzz')}` });
    });
  });

  describe('throttling, latency and stats', () => {
    it('throttles GetFunction with 429 TooManyRequestsException and Retry-After', async () => {
      h = await lambdaHarness({ throttle: { GetFunction: { ratePerSecond: 1, burst: 1 } } });
      h.registry.createFunction(fnInput('hot'));
      await h.lambda.send(new GetFunctionCommand({ FunctionName: 'hot' }));
      const e = await rejection(h.lambda.send(new GetFunctionCommand({ FunctionName: 'hot' })));
      expect(e.name).toBe('TooManyRequestsException');
      expect(e.message).toBe('Rate exceeded');
      expect(e.Reason).toBe('CallerRateLimitExceeded');
      expect(e.retryAfterSeconds).toBe('1');
      expect((e.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(429);
      // Other classes have their own buckets.
      await h.lambda.send(new ListFunctionsCommand({}));
      expect(h.plane.stats().GetFunction).toEqual({ calls: 2, throttled: 1, errors: 1 });
    });

    it('lets the SDK’s retries get through once the bucket refills', async () => {
      h = await lambdaHarness({ throttle: { GetFunction: { ratePerSecond: 2, burst: 1 } } });
      h.registry.createFunction(fnInput('hot'));
      // Six attempts: the jittered backoff may retry faster than a 2/s bucket refills.
      const retrying = h.client({ maxAttempts: 6 });
      await retrying.send(new GetFunctionCommand({ FunctionName: 'hot' }));
      const out = await retrying.send(new GetFunctionCommand({ FunctionName: 'hot' }));
      expect(out.Configuration?.FunctionName).toBe('hot');
      expect(out.$metadata.attempts).toBeGreaterThan(1);
      expect(h.plane.stats().GetFunction!.throttled).toBeGreaterThanOrEqual(1);
    });

    it('applies the documented quotas by default (15/s shared by the rest of the control plane)', async () => {
      h = await lambdaHarness({});
      h.registry.createFunction(fnInput('q'));
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => h.lambda.send(new ListTagsCommand({ Resource: arnOf('q') }))),
      );
      const throttledCount = results.filter(
        (r) => r.status === 'rejected' && (r.reason as Error).name === 'TooManyRequestsException',
      ).length;
      // 15 in the bucket; the few milliseconds the burst takes refill well under one more token each.
      expect(throttledCount).toBeGreaterThanOrEqual(3);
      expect(throttledCount).toBeLessThanOrEqual(5);
      expect(results.filter((r) => r.status === 'fulfilled').length).toBe(20 - throttledCount);
      // GetFunction has its own 100/s bucket.
      await h.lambda.send(new GetFunctionCommand({ FunctionName: 'q' }));
    });

    it('adds the configured latency to every call', async () => {
      h = await lambdaHarness({ throttle: false, latencyMs: (op) => (op === 'GetFunction' ? 150 : 0) });
      h.registry.createFunction(fnInput('slow'));
      let t = performance.now();
      await h.lambda.send(new GetFunctionCommand({ FunctionName: 'slow' }));
      expect(performance.now() - t).toBeGreaterThanOrEqual(145);
      t = performance.now();
      await h.lambda.send(new ListFunctionsCommand({}));
      expect(performance.now() - t).toBeLessThan(145);
    });

    it('counts calls per operation', async () => {
      h = await lambdaHarness();
      h.registry.createFunction(fnInput('c'));
      await h.lambda.send(new ListFunctionsCommand({}));
      await h.lambda.send(new GetFunctionCommand({ FunctionName: 'c' }));
      await h.lambda.send(new GetFunctionCommand({ FunctionName: 'c' }));
      await rejection(h.lambda.send(new GetFunctionCommand({ FunctionName: 'missing' })));
      expect(h.plane.stats()).toEqual({
        ListFunctions: { calls: 1, throttled: 0, errors: 0 },
        GetFunction: { calls: 3, throttled: 0, errors: 1 },
      });
      h.plane.resetStats();
      expect(h.plane.stats()).toEqual({});
    });
  });
});
