import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  PublishVersionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { FunctionRegistry, LAMBDA_EVENT_NAMES, type LambdaApiCallEvent } from './function-registry';
import {
  ACCOUNT,
  REGION,
  ROLE,
  arnOf,
  fnInput,
  lambdaHarness,
  rejection,
  type LambdaHarness,
} from './test-helpers';

/** The CloudTrail-via-EventBridge events each mutation produces, as the Consul registrator reads them. */
describe('CloudTrail events of Lambda mutations', () => {
  let h: LambdaHarness;
  beforeEach(async () => {
    h = await lambdaHarness();
  });
  afterEach(async () => h.close());

  const only = (): LambdaApiCallEvent => {
    expect(h.events).toHaveLength(1);
    const event = h.events[0]!;
    h.events.length = 0;
    return event;
  };

  it('CreateFunction20150331: EventBridge envelope, CloudTrail record, responseElements.functionArn', async () => {
    await h.lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'orders',
        Role: ROLE,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Code: { ZipFile: Buffer.from('zip') },
        Environment: { Variables: { SECRET: 'do-not-log' } },
        Tags: { 'serverless.consul.hashicorp.com/v1alpha1/lambda/enabled': 'true' },
      }),
    );
    const event = only();
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.lambda',
      account: ACCOUNT,
      region: REGION,
      resources: [],
      detail: {
        eventSource: 'lambda.amazonaws.com',
        eventName: 'CreateFunction20150331',
        awsRegion: REGION,
        eventType: 'AwsApiCall',
        readOnly: false,
        managementEvent: true,
        recipientAccountId: ACCOUNT,
        userIdentity: { accessKeyId: 'AKIDLOCALTEST', accountId: ACCOUNT },
        requestParameters: {
          functionName: 'orders',
          role: ROLE,
          runtime: 'nodejs20.x',
          handler: 'index.handler',
          tags: { 'serverless.consul.hashicorp.com/v1alpha1/lambda/enabled': 'true' },
        },
        responseElements: { functionName: 'orders', functionArn: arnOf('orders'), version: '$LATEST' },
      },
    });
    expect(event.detail.errorCode).toBeUndefined();
    expect(event.detail.userAgent).toMatch(/aws-sdk-js/);
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // As CloudTrail does, neither the code nor environment values reach the event.
    expect(JSON.stringify(event)).not.toContain('do-not-log');
    expect(JSON.stringify(event)).not.toMatch(/zipFile/i);
  });

  it('TagResource20170331v2 and UntagResource20170331v2 carry the ARN in requestParameters.resource', async () => {
    h.registry.createFunction(fnInput('svc'));
    h.events.length = 0;
    await h.lambda.send(new TagResourceCommand({ Resource: arnOf('svc'), Tags: { k: 'v' } }));
    const tag = only();
    expect(tag.detail.eventName).toBe('TagResource20170331v2');
    expect(tag.detail.requestParameters).toEqual({ resource: arnOf('svc'), tags: { k: 'v' } });
    expect(tag.detail.responseElements).toBeNull();

    await h.lambda.send(new UntagResourceCommand({ Resource: arnOf('svc'), TagKeys: ['k'] }));
    const untag = only();
    expect(untag.detail.eventName).toBe('UntagResource20170331v2');
    expect(untag.detail.requestParameters).toEqual({ resource: arnOf('svc'), tagKeys: ['k'] });
  });

  it('UpdateFunctionConfiguration20150331v2 and DeleteFunction20150331', async () => {
    h.registry.createFunction(fnInput('svc'));
    h.events.length = 0;
    await h.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'svc',
        MemorySize: 512,
        Environment: { Variables: { TOKEN: 'hidden' } },
      }),
    );
    const update = only();
    expect(update.detail.eventName).toBe('UpdateFunctionConfiguration20150331v2');
    expect(update.detail.requestParameters).toEqual({ functionName: 'svc', memorySize: 512 });
    expect(update.detail.responseElements).toMatchObject({ functionArn: arnOf('svc'), memorySize: 512 });
    expect(JSON.stringify(update)).not.toContain('hidden');

    await h.lambda.send(new DeleteFunctionCommand({ FunctionName: arnOf('svc') }));
    const del = only();
    expect(del.detail.eventName).toBe('DeleteFunction20150331');
    expect(del.detail.requestParameters).toEqual({ functionName: arnOf('svc') });
    expect(del.detail.responseElements).toBeNull();
  });

  it('CreateAlias20150331, UpdateAlias20150331, DeleteAlias20150331 and PublishVersion20150331', async () => {
    h.registry.createFunction(fnInput('svc'));
    h.events.length = 0;
    await h.lambda.send(new PublishVersionCommand({ FunctionName: 'svc' }));
    const publish = only();
    expect(publish.detail.eventName).toBe('PublishVersion20150331');
    expect(publish.detail.responseElements).toMatchObject({ functionArn: arnOf('svc', '1'), version: '1' });

    await h.lambda.send(new CreateAliasCommand({ FunctionName: 'svc', Name: 'live', FunctionVersion: '1' }));
    const create = only();
    expect(create.detail.eventName).toBe('CreateAlias20150331');
    expect(create.detail.requestParameters).toEqual({
      functionName: 'svc',
      name: 'live',
      functionVersion: '1',
    });
    expect(create.detail.responseElements).toMatchObject({ aliasArn: arnOf('svc', 'live'), name: 'live' });

    await h.lambda.send(
      new UpdateAliasCommand({ FunctionName: 'svc', Name: 'live', FunctionVersion: '$LATEST' }),
    );
    const update = only();
    expect(update.detail.eventName).toBe('UpdateAlias20150331');
    expect(update.detail.responseElements).toMatchObject({
      aliasArn: arnOf('svc', 'live'),
      functionVersion: '$LATEST',
    });

    await h.lambda.send(new DeleteAliasCommand({ FunctionName: 'svc', Name: 'live' }));
    const del = only();
    expect(del.detail.eventName).toBe('DeleteAlias20150331');
    expect(del.detail.requestParameters).toEqual({ functionName: 'svc', name: 'live' });
  });

  it('records a failed call with errorCode and errorMessage, and no responseElements', async () => {
    await rejection(h.lambda.send(new TagResourceCommand({ Resource: arnOf('ghost'), Tags: { k: 'v' } })));
    const failed = only();
    expect(failed.detail).toMatchObject({
      eventName: 'TagResource20170331v2',
      errorCode: 'ResourceNotFoundException',
      errorMessage: `Function not found: ${arnOf('ghost')}`,
      requestParameters: { resource: arnOf('ghost') },
      responseElements: null,
    });
  });

  it('uses exactly the documented event names', () => {
    expect(LAMBDA_EVENT_NAMES).toEqual({
      CreateFunction: 'CreateFunction20150331',
      DeleteFunction: 'DeleteFunction20150331',
      UpdateFunctionConfiguration: 'UpdateFunctionConfiguration20150331v2',
      PublishVersion: 'PublishVersion20150331',
      TagResource: 'TagResource20170331v2',
      UntagResource: 'UntagResource20170331v2',
      CreateAlias: 'CreateAlias20150331',
      UpdateAlias: 'UpdateAlias20150331',
      DeleteAlias: 'DeleteAlias20150331',
    });
  });

  it('emits from direct registry calls too, can be unsubscribed, and survives a throwing listener', () => {
    const registry = new FunctionRegistry({ recordFailedCalls: false });
    const seen: string[] = [];
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    registry.onEvent(() => {
      throw new Error('listener bug');
    });
    const off = registry.onEvent((e) => seen.push(e.detail.eventName));
    registry.createFunction(fnInput('a'));
    expect(() => registry.tagResource(registry.functionArn('zzz'), { k: 'v' })).toThrow('Function not found');
    off();
    registry.deleteFunction('a');
    expect(seen).toEqual(['CreateFunction20150331']);
    expect(errors).toHaveBeenCalled();
    errors.mockRestore();
  });
});
