/** The event type every benchmark publishes and subscribes to. */
export const BENCH_EVENT_TYPE = 'order.created';

/**
 * Event data whose JSON is `bytes` long: a realistic-looking order padded by a note, so the
 * benchmarks' "1 KB payload" is exact rather than approximate.
 */
export const eventData = (bytes = 1024): Record<string, unknown> => {
  const order = {
    orderId: 'ord_01JBENCHMARK0000000000000',
    customerId: 'cus_42',
    currency: 'EUR',
    totalCents: 12_990,
    items: [
      { sku: 'SKU-1', quantity: 1, unitCents: 9_990 },
      { sku: 'SKU-2', quantity: 2, unitCents: 1_500 },
    ],
    note: '',
  };
  const padding = bytes - JSON.stringify(order).length;
  if (padding < 0) throw new Error(`event data cannot be as small as ${bytes} bytes`);
  return { ...order, note: 'x'.repeat(padding) };
};
