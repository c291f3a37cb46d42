/**
 * The AWS SDK v3 pieces the cache extension uses, in one module that is loaded on first use only.
 * In the layer's bundle this module is embedded as text and compiled when first required
 * (layers/build-extension.mjs): most of the extension's code is the SDK, and compiling it
 * at start would double the extension's start-up time.
 */
export { SSMClient, GetParameterCommand } from '@aws-sdk/client-ssm';
export {
  SecretsManagerClient,
  GetSecretValueCommand,
  DescribeSecretCommand,
} from '@aws-sdk/client-secrets-manager';
export { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
