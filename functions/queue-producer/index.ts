import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseOrder, type Order } from './order';

/**
 * The private-VPC producer: runs in private subnets with no NAT gateway and no internet gateway (when
 * the template's SamplesPrivateVpcEnabled condition holds) and reaches SQS only through the interface
 * VPC endpoint, whose private DNS makes the SDK's regional endpoint resolve inside the VPC — no code
 * change. Invoked with `{"orders": [{"orderId", "quantity"}, …]}` (1-10); sends them as one batch.
 * A bad event is answered `{statusCode: 400, message}`, never an exception.
 */
export interface ProducerResult {
  statusCode: 200 | 400 | 500 | 502;
  message: string;
  sent?: string[];
  failed?: string[];
}

const MAX_ORDERS = 10;
const sqs = new SQSClient({});

export function parseEvent(event: unknown): { ok: true; orders: Order[] } | { ok: false; message: string } {
  const orders = (event as { orders?: unknown } | null)?.orders;
  if (!Array.isArray(orders) || orders.length === 0 || orders.length > MAX_ORDERS)
    return { ok: false, message: `the event must be {"orders": [...]} with 1 to ${MAX_ORDERS} orders` };
  const parsed: Order[] = [];
  for (const [i, value] of orders.entries()) {
    const result = parseOrder(value);
    if (!result.ok) return { ok: false, message: `orders[${i}]: ${result.reason}` };
    parsed.push(result.order);
  }
  if (new Set(parsed.map((o) => o.orderId)).size !== parsed.length)
    return { ok: false, message: 'orderId must be unique within one event' };
  return { ok: true, orders: parsed };
}

export const handler = async (event: unknown): Promise<ProducerResult> => {
  const queueUrl = process.env.QUEUE_URL;
  if (!queueUrl) return { statusCode: 500, message: 'QUEUE_URL is not configured' };
  const parsed = parseEvent(event);
  if (!parsed.ok) return { statusCode: 400, message: parsed.message };
  try {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: parsed.orders.map((order) => ({ Id: order.orderId, MessageBody: JSON.stringify(order) })),
      }),
    );
    const failed = (out.Failed ?? []).map((f) => f.Id ?? '?');
    const sent = (out.Successful ?? []).map((s) => s.Id ?? '?');
    return failed.length
      ? { statusCode: 502, message: `${failed.length} order(s) were not queued`, sent, failed }
      : { statusCode: 200, message: `queued ${sent.length} order(s)`, sent };
  } catch (e) {
    console.error(`queue-producer: SendMessageBatch failed (${(e as Error).name})`);
    return { statusCode: 502, message: 'the orders could not be queued' };
  }
};
