import { AwsError } from '../aws-json-protocol';

/**
 * SQS errors as the service's JSON protocol reports them. The body's `__type` is the Smithy shape id
 * (`com.amazonaws.sqs#QueueDoesNotExist`); because SQS came from the Query protocol it also sends
 * `x-amzn-query-error: <legacy code>;Sender`, which the SDK (awsQueryCompatible) reads first to set the
 * error's `Code` and to find the modeled exception class. Statuses follow the SDK's error model.
 */
const ERRORS = {
  QueueDoesNotExist: ['com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 400],
  QueueNameExists: ['com.amazonaws.sqs#QueueNameExists', 'QueueAlreadyExists', 400],
  QueueDeletedRecently: [
    'com.amazonaws.sqs#QueueDeletedRecently',
    'AWS.SimpleQueueService.QueueDeletedRecently',
    400,
  ],
  ReceiptHandleIsInvalid: ['com.amazonaws.sqs#ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 404],
  PurgeQueueInProgress: [
    'com.amazonaws.sqs#PurgeQueueInProgress',
    'AWS.SimpleQueueService.PurgeQueueInProgress',
    403,
  ],
  EmptyBatchRequest: ['com.amazonaws.sqs#EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 400],
  TooManyEntriesInBatchRequest: [
    'com.amazonaws.sqs#TooManyEntriesInBatchRequest',
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    400,
  ],
  BatchEntryIdsNotDistinct: [
    'com.amazonaws.sqs#BatchEntryIdsNotDistinct',
    'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    400,
  ],
  InvalidBatchEntryId: [
    'com.amazonaws.sqs#InvalidBatchEntryId',
    'AWS.SimpleQueueService.InvalidBatchEntryId',
    400,
  ],
  BatchRequestTooLong: [
    'com.amazonaws.sqs#BatchRequestTooLong',
    'AWS.SimpleQueueService.BatchRequestTooLong',
    400,
  ],
  InvalidAttributeName: ['com.amazonaws.sqs#InvalidAttributeName', 'InvalidAttributeName', 400],
  InvalidAttributeValue: ['com.amazonaws.sqs#InvalidAttributeValue', 'InvalidAttributeValue', 400],
  InvalidMessageContents: ['com.amazonaws.sqs#InvalidMessageContents', 'InvalidMessageContents', 400],
  UnsupportedOperation: [
    'com.amazonaws.sqs#UnsupportedOperation',
    'AWS.SimpleQueueService.UnsupportedOperation',
    400,
  ],
  // Not in the SQS model: the SDK surfaces them as SQSServiceException named after the query code.
  InvalidParameterValue: [
    'com.amazon.coral.service#InvalidParameterValueException',
    'InvalidParameterValue',
    400,
  ],
  MissingParameter: ['com.amazon.coral.service#MissingParameterException', 'MissingParameter', 400],
} as const satisfies Record<string, readonly [string, string, number]>;

export type SqsErrorName = keyof typeof ERRORS;

export function sqsError(name: SqsErrorName, message: string): AwsError {
  const [type, , status] = ERRORS[name];
  return new AwsError(type, message, status);
}

const byType = new Map<string, string>(Object.values(ERRORS).map(([type, code]) => [type, code]));

/** `x-amzn-query-error` value for an error `__type`, when SQS has a Query code for it. */
export function queryErrorHeader(type: string): string | undefined {
  const code = byType.get(type);
  return code ? `${code};Sender` : undefined;
}

export const invalidParameter = (message: string) => sqsError('InvalidParameterValue', message);

export const queueDoesNotExist = () => sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
