export {
  FunctionRegistry,
  LAMBDA_EVENT_NAMES,
  LATEST,
  parseFunctionRef,
  type AliasConfiguration,
  type CallerContext,
  type CloudTrailRecord,
  type CreateFunctionInput,
  type FunctionConfiguration,
  type InvocationTarget,
  type LambdaApiCallEvent,
  type LambdaEventName,
  type RegistryOptions,
  type UpdateFunctionConfigurationInput,
} from './function-registry';
export {
  ASYNC_PAYLOAD_LIMIT,
  LAMBDA_DEFAULT_LIMITS,
  SYNC_PAYLOAD_LIMIT,
  lambdaControlPlaneHandler,
  startLambdaControlPlane,
  type InvokeInfo,
  type InvokeResponse,
  type Invoker,
  type LambdaControlPlane,
  type LambdaControlPlaneOptions,
  type ThrottleClass,
} from './lambda-service';
export {
  DEFAULT_RESOURCES_PER_PAGE,
  TAGGING_DEFAULT_LIMITS,
  TAGGING_TARGET_PREFIX,
  getResources,
  startTaggingApi,
  taggingService,
  type TaggingApi,
  type TaggingApiOptions,
} from './tagging-service';
export { LambdaError } from './errors';
export type { Latency, OperationStats, RateLimit } from './throttle';
