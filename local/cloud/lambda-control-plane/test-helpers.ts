import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import {
  ResourceGroupsTaggingAPIClient,
  type ResourceGroupsTaggingAPIClientConfig,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { FunctionRegistry, type CreateFunctionInput, type LambdaApiCallEvent } from './function-registry';
import {
  type LambdaControlPlane,
  type LambdaControlPlaneOptions,
  startLambdaControlPlane,
} from './lambda-service';
import { type TaggingApi, type TaggingApiOptions, startTaggingApi } from './tagging-service';

/** Test-only helpers: real SDK clients pointed at the emulators over loopback. */

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/lambda-role`;
const credentials = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' };

export const arnOf = (name: string, qualifier?: string) =>
  `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}${qualifier ? `:${qualifier}` : ''}`;

export function fnInput(name: string, extra: Partial<CreateFunctionInput> = {}): CreateFunctionInput {
  return { FunctionName: name, Role: ROLE, Runtime: 'nodejs20.x', Handler: 'index.handler', ...extra };
}

export interface LambdaHarness {
  registry: FunctionRegistry;
  plane: LambdaControlPlane;
  /** maxAttempts 1: every error reaches the test as it was answered. */
  lambda: LambdaClient;
  events: LambdaApiCallEvent[];
  client(config?: Partial<LambdaClientConfig>): LambdaClient;
  close(): Promise<void>;
}

export async function lambdaHarness(
  options: LambdaControlPlaneOptions = { throttle: false },
  registry = new FunctionRegistry({ region: REGION, accountId: ACCOUNT }),
): Promise<LambdaHarness> {
  const plane = await startLambdaControlPlane(registry, options);
  const events: LambdaApiCallEvent[] = [];
  registry.onEvent((e) => events.push(e));
  const clients: LambdaClient[] = [];
  const client = (config: Partial<LambdaClientConfig> = {}) => {
    const c = new LambdaClient({
      endpoint: plane.endpoint,
      region: REGION,
      credentials,
      maxAttempts: 1,
      ...config,
    });
    clients.push(c);
    return c;
  };
  return {
    registry,
    plane,
    lambda: client(),
    events,
    client,
    close: async () => {
      clients.forEach((c) => c.destroy());
      await plane.close();
    },
  };
}

export interface TaggingHarness {
  registry: FunctionRegistry;
  api: TaggingApi;
  tagging: ResourceGroupsTaggingAPIClient;
  client(config?: Partial<ResourceGroupsTaggingAPIClientConfig>): ResourceGroupsTaggingAPIClient;
  close(): Promise<void>;
}

export async function taggingHarness(
  options: TaggingApiOptions = { throttle: false },
  registry = new FunctionRegistry({ region: REGION, accountId: ACCOUNT }),
): Promise<TaggingHarness> {
  const api = await startTaggingApi(registry, options);
  const clients: ResourceGroupsTaggingAPIClient[] = [];
  const client = (config: Partial<ResourceGroupsTaggingAPIClientConfig> = {}) => {
    const c = new ResourceGroupsTaggingAPIClient({
      endpoint: api.endpoint,
      region: REGION,
      credentials,
      maxAttempts: 1,
      ...config,
    });
    clients.push(c);
    return c;
  };
  return {
    registry,
    api,
    tagging: client(),
    client,
    close: async () => {
      clients.forEach((c) => c.destroy());
      await api.close();
    },
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
