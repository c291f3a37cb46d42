/**
 * The work item the samples' queue carries, checked by the producer before sending and by the
 * consumer again on receipt (a queue accepts anything anyone with SendMessage puts on it).
 */
export interface Order {
  orderId: string;
  quantity: number;
}

const ORDER_ID = /^[A-Za-z0-9-]{1,64}$/;
export const MAX_QUANTITY = 100;

/** The order, or the reason it is not one. */
export function parseOrder(value: unknown): { ok: true; order: Order } | { ok: false; reason: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'an order must be a JSON object' };
  const { orderId, quantity } = value as Record<string, unknown>;
  if (typeof orderId !== 'string' || !ORDER_ID.test(orderId))
    return { ok: false, reason: 'orderId must be 1-64 letters, digits or dashes' };
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY)
    return { ok: false, reason: `quantity must be a whole number from 1 to ${MAX_QUANTITY}` };
  return { ok: true, order: { orderId, quantity } };
}
