import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseOrder, type Order } from '../queue-producer/order';

/**
 * The consumer, outside the VPC: an SQS event source with `ReportBatchItemFailures`. Each record is
 * validated and processed on its own; only the failed ones are reported, so good messages in the
 * same batch are deleted and a poisoned one is retried until the queue's redrive policy moves it to
 * the dead-letter queue (after 4 receives). It never throws for a bad record: a throw would retry
 * the whole batch.
 */
function fulfil(order: Order): void {
  // The sample's work: a real consumer would fulfil the order here (idempotently: SQS is at least once).
  console.log(`queue-consumer: order ${order.orderId} × ${order.quantity}`);
}

function handleRecord(record: SQSRecord): boolean {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    console.warn(
      `queue-consumer: message ${record.messageId} is not JSON (receive ${record.attributes?.ApproximateReceiveCount})`,
    );
    return false;
  }
  const parsed = parseOrder(body);
  if (!parsed.ok) {
    console.warn(
      `queue-consumer: message ${record.messageId}: ${parsed.reason} (receive ${record.attributes?.ApproximateReceiveCount})`,
    );
    return false;
  }
  fulfil(parsed.order);
  return true;
}

/** One record's failure is that record's alone: a throw must not fail (and redeliver) the batch. */
function handled(record: SQSRecord): boolean {
  try {
    return handleRecord(record);
  } catch (e) {
    console.error(`queue-consumer: ${record.messageId} failed: ${(e as Error).message}`);
    return false;
  }
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  const batchItemFailures = records
    .filter((record) => typeof record?.messageId === 'string' && !handled(record))
    .map((record) => ({ itemIdentifier: record.messageId }));
  return { batchItemFailures };
};
