import { handler as consume } from '../queue-consumer/index';
import { handler, parseEvent } from './index';
import { parseOrder } from './order';

const record = (messageId: string, body: string) =>
  ({ messageId, body, attributes: { ApproximateReceiveCount: '1' } }) as never;

describe('queue samples input', () => {
  it('orders: a whole quantity from 1 to 100 and a simple id', () => {
    expect(parseOrder({ orderId: 'o-1', quantity: 3 })).toEqual({
      ok: true,
      order: { orderId: 'o-1', quantity: 3 },
    });
    expect(parseOrder({ orderId: 'o 1', quantity: 3 })).toMatchObject({ ok: false });
    expect(parseOrder({ orderId: 'o-1', quantity: 1.5 })).toMatchObject({ ok: false });
    expect(parseOrder({ orderId: 'o-1', quantity: 101 })).toMatchObject({ ok: false });
    expect(parseOrder('o-1')).toEqual({ ok: false, reason: 'an order must be a JSON object' });
  });

  it('the producer takes 1 to 10 unique orders and answers 400 otherwise', async () => {
    expect(parseEvent({ orders: [] })).toMatchObject({ ok: false });
    expect(
      parseEvent({ orders: Array.from({ length: 11 }, (_, i) => ({ orderId: `o${i}`, quantity: 1 })) }),
    ).toMatchObject({ ok: false });
    expect(
      parseEvent({
        orders: [
          { orderId: 'a', quantity: 1 },
          { orderId: 'a', quantity: 2 },
        ],
      }),
    ).toEqual({
      ok: false,
      message: 'orderId must be unique within one event',
    });
    process.env.QUEUE_URL = 'http://127.0.0.1:1/unused';
    expect(await handler(null)).toEqual({
      statusCode: 400,
      message: 'the event must be {"orders": [...]} with 1 to 10 orders',
    });
  });

  it('the consumer reports exactly the bad records of a batch, and never throws', async () => {
    const out = await consume({
      Records: [
        record('m1', '{"orderId":"o-1","quantity":1}'),
        record('m2', 'not json'),
        record('m3', '{"orderId":"o-3","quantity":0}'),
        record('m4', '{"orderId":"o-4","quantity":4}'),
      ],
    });
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
    expect(await consume({} as never)).toEqual({ batchItemFailures: [] });
  });
});
