/**
 * The properties AWS SAM documents for the resource and event types this project may use
 * (AWS SAM Developer Guide, "AWS SAM resources and properties"). The CloudFormation spec's copy of
 * SAM is years stale, so SAM is described here; where a SAM property takes a plain CloudFormation
 * shape it points at that shape (`cfn`) and is validated as deeply as CloudFormation is.
 */
export type SamProp = 'any' | { cfn: [resourceType: string, property: string] } | { shape: SamShape };

export interface SamShape {
  name: string;
  props: Record<string, SamProp>;
  required?: string[];
}

const any = (...names: string[]): Record<string, SamProp> =>
  Object.fromEntries(names.map((n) => [n, 'any' as const]));
const cfn = (type: string, ...names: string[]): Record<string, SamProp> =>
  Object.fromEntries(names.map((n) => [n, { cfn: [type, n] as [string, string] }]));
const LAMBDA = 'AWS::Lambda::Function';

const functionProps: Record<string, SamProp> = {
  ...any(
    'AssumeRolePolicyDocument',
    'AutoPublishAlias',
    'AutoPublishAliasAllProperties',
    'AutoPublishCodeSha256',
    'CodeUri',
    'DeadLetterQueue',
    'DeploymentPreference',
    'EventInvokeConfig',
    'Events',
    'FunctionUrlConfig',
    'InlineCode',
    'Layers',
    'PermissionsBoundary',
    'Policies',
    'PropagateTags',
    'ProvisionedConcurrencyConfig',
    'RolePath',
    'Tags',
    'Tracing',
    'VersionDescription',
  ),
  ...cfn(
    LAMBDA,
    'Architectures',
    'CodeSigningConfigArn',
    'Description',
    'Environment',
    'EphemeralStorage',
    'FileSystemConfigs',
    'FunctionName',
    'Handler',
    'ImageConfig',
    'KmsKeyArn',
    'LoggingConfig',
    'MemorySize',
    'PackageType',
    'RecursiveLoop',
    'ReservedConcurrentExecutions',
    'Role',
    'Runtime',
    'RuntimeManagementConfig',
    'SnapStart',
    'Timeout',
    'VpcConfig',
  ),
  ImageUri: 'any',
  SourceKMSKeyArn: 'any',
};

/** Properties SAM accepts in `Globals.Function` (not per-function identity, permissions or events). */
const NOT_GLOBAL = [
  'Events',
  'FunctionName',
  'Role',
  'Policies',
  'InlineCode',
  'ImageUri',
  'PackageType',
  'ImageConfig',
];

const httpApiProps: Record<string, SamProp> = {
  ...any(
    'AccessLogSettings',
    'Auth',
    'CorsConfiguration',
    'DefinitionBody',
    'DefinitionUri',
    'Description',
    'DisableExecuteApiEndpoint',
    'Domain',
    'FailOnWarnings',
    'Name',
    'PropagateTags',
    'StageName',
    'StageVariables',
    'Tags',
  ),
  DefaultRouteSettings: { cfn: ['AWS::ApiGatewayV2::Stage', 'DefaultRouteSettings'] },
  RouteSettings: { cfn: ['AWS::ApiGatewayV2::Stage', 'RouteSettings'] },
};

const apiProps: Record<string, SamProp> = any(
  'AccessLogSetting',
  'AlwaysDeploy',
  'ApiKeySourceType',
  'Auth',
  'BinaryMediaTypes',
  'CacheClusterEnabled',
  'CacheClusterSize',
  'CanarySetting',
  'Cors',
  'DefinitionBody',
  'DefinitionUri',
  'Description',
  'DisableExecuteApiEndpoint',
  'Domain',
  'EndpointConfiguration',
  'FailOnWarnings',
  'GatewayResponses',
  'MergeDefinitions',
  'MethodSettings',
  'MinimumCompressionSize',
  'Mode',
  'Models',
  'Name',
  'OpenApiVersion',
  'Policy',
  'PropagateTags',
  'StageName',
  'Tags',
  'TracingEnabled',
  'Variables',
);

export const SAM_RESOURCES: Record<string, SamShape> = {
  'AWS::Serverless::Function': { name: 'AWS::Serverless::Function', props: functionProps },
  'AWS::Serverless::HttpApi': { name: 'AWS::Serverless::HttpApi', props: httpApiProps },
  'AWS::Serverless::Api': { name: 'AWS::Serverless::Api', props: apiProps, required: ['StageName'] },
  'AWS::Serverless::LayerVersion': {
    name: 'AWS::Serverless::LayerVersion',
    props: {
      ...any('ContentUri', 'RetentionPolicy', 'PublishLambdaVersion'),
      ...cfn(
        'AWS::Lambda::LayerVersion',
        'CompatibleArchitectures',
        'CompatibleRuntimes',
        'Description',
        'LayerName',
        'LicenseInfo',
      ),
    },
    required: ['ContentUri'],
  },
  'AWS::Serverless::SimpleTable': {
    name: 'AWS::Serverless::SimpleTable',
    props: {
      ...any('PrimaryKey', 'PointInTimeRecoverySpecification', 'Tags', 'TableName'),
      ...cfn('AWS::DynamoDB::Table', 'ProvisionedThroughput', 'SSESpecification'),
    },
  },
};

export const SAM_GLOBALS: Record<string, SamShape> = {
  Function: {
    name: 'Globals.Function',
    props: Object.fromEntries(Object.entries(functionProps).filter(([k]) => !NOT_GLOBAL.includes(k))),
  },
  HttpApi: { name: 'Globals.HttpApi', props: httpApiProps },
  Api: { name: 'Globals.Api', props: apiProps },
  SimpleTable: SAM_RESOURCES['AWS::Serverless::SimpleTable']!,
  LayerVersion: SAM_RESOURCES['AWS::Serverless::LayerVersion']!,
};

const requestModel: SamShape = {
  name: 'RequestModel',
  props: any('Model', 'Required', 'ValidateBody', 'ValidateParameters'),
  required: ['Model'],
};

/** Event source types of AWS::Serverless::Function and the properties each takes. */
export const SAM_EVENTS: Record<string, SamShape> = {
  HttpApi: {
    name: 'HttpApi event',
    props: any('ApiId', 'Auth', 'Method', 'Path', 'PayloadFormatVersion', 'RouteSettings', 'TimeoutInMillis'),
  },
  Api: {
    name: 'Api event',
    props: {
      ...any(
        'Auth',
        'Method',
        'Path',
        'RequestParameters',
        'RestApiId',
        'TimeoutInMillis',
        'ResponseTransferMode',
      ),
      RequestModel: { shape: requestModel },
    },
    required: ['Method', 'Path'],
  },
  Schedule: {
    name: 'Schedule event',
    props: any(
      'DeadLetterConfig',
      'Description',
      'Enabled',
      'Input',
      'Name',
      'RetryPolicy',
      'Schedule',
      'State',
    ),
    required: ['Schedule'],
  },
  ScheduleV2: {
    name: 'ScheduleV2 event',
    props: any(
      'DeadLetterConfig',
      'Description',
      'EndDate',
      'FlexibleTimeWindow',
      'GroupName',
      'Input',
      'KmsKeyArn',
      'Name',
      'OmitName',
      'PermissionsBoundary',
      'RetryPolicy',
      'RoleArn',
      'ScheduleExpression',
      'ScheduleExpressionTimezone',
      'StartDate',
      'State',
    ),
    required: ['ScheduleExpression'],
  },
  EventBridgeRule: {
    name: 'EventBridgeRule event',
    props: any(
      'DeadLetterConfig',
      'EventBusName',
      'Input',
      'InputPath',
      'InputTransformer',
      'Pattern',
      'RetryPolicy',
      'RuleName',
      'State',
      'Target',
    ),
    required: ['Pattern'],
  },
  SQS: {
    name: 'SQS event',
    props: any(
      'BatchSize',
      'Enabled',
      'FilterCriteria',
      'FunctionResponseTypes',
      'KmsKeyArn',
      'MaximumBatchingWindowInSeconds',
      'MetricsConfig',
      'Queue',
      'ScalingConfig',
    ),
    required: ['Queue'],
  },
  S3: { name: 'S3 event', props: any('Bucket', 'Events', 'Filter'), required: ['Bucket', 'Events'] },
  SNS: {
    name: 'SNS event',
    props: any('FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy', 'Region', 'SqsSubscription', 'Topic'),
    required: ['Topic'],
  },
  CloudWatchLogs: {
    name: 'CloudWatchLogs event',
    props: any('FilterPattern', 'LogGroupName'),
    required: ['FilterPattern', 'LogGroupName'],
  },
};
