import { describe, expect, it } from 'vitest';
import { billedUnitsOf, dynamoItemBytes, peerPrices, priceLines, readUnitsFor, requestFloorPerEvent, sqsBilledRequests, totalPerMillion, writeUnitsFor } from '../../../bench/cost-model';

describe('Function: dynamoItemBytes', () => {
  it('counts attribute names and values as DynamoDB sizes them', () => {
    // Prepare
    const item = { pk: { S: 'local' }, n: { N: '12345' }, ok: { BOOL: true }, m: { M: { a: { S: 'xy' } } }, l: { L: [{ S: 'z' }] } };

    // Act
    const bytes = dynamoItemBytes(item);

    // Assess: 2+5, 1+(3+1), 2+1, 1+(3+1+2+1), 1+(3+1+1)
    expect(bytes).toBe(7 + 5 + 3 + 8 + 6);
  });
});

describe('Function: billedUnitsOf', () => {
  it('bills a put by the 1 KB units of its item and a consistent query by 4 KB of what it returns', () => {
    // Prepare
    const big = { pk: { S: 'x'.repeat(1500) } };

    // Act
    const put = billedUnitsOf({ service: 'DynamoDB', operation: 'PutItem', request: { Item: big }, response: {}, requestBytes: 0, responseBytes: 0 });
    const query = billedUnitsOf({
      service: 'DynamoDB',
      operation: 'Query',
      request: { ConsistentRead: true },
      response: { Items: [big, big, big] },
      requestBytes: 0,
      responseBytes: 0,
    });

    // Assess
    expect(put).toEqual({ sqsRequests: 0, writeUnits: 2, readUnits: 0 });
    expect(query.readUnits).toBe(2);
  });

  it('bills a batch read as a read of each item it returns, each rounded up on its own, consistent as its table asks', () => {
    // Act
    const batch = billedUnitsOf({
      service: 'DynamoDB',
      operation: 'BatchGetItem',
      request: { RequestItems: { Subscriptions: { ConsistentRead: true }, Deliveries: {} } },
      response: { Responses: { Subscriptions: [{ pk: { S: 'a' } }, { pk: { S: 'b' } }], Deliveries: [{ pk: { S: 'c' } }] } },
      requestBytes: 0,
      responseBytes: 0,
    });

    // Assess: two consistent reads of a unit each, and one eventually consistent read of half a unit
    expect(batch).toEqual({ sqsRequests: 0, writeUnits: 0, readUnits: 2.5 });
  });

  it('bills SQS per 64 KB chunk of the larger of request and answer', () => {
    expect(billedUnitsOf({ service: 'SQS', operation: 'ReceiveMessage', request: {}, response: {}, requestBytes: 300, responseBytes: 70_000 }).sqsRequests).toBe(2);
  });
});

describe('Function: unit rounding', () => {
  it('rounds writes, reads and SQS chunks up, with a minimum of one', () => {
    expect(writeUnitsFor(0)).toBe(1);
    expect(writeUnitsFor(1025)).toBe(2);
    expect(readUnitsFor(4097, true)).toBe(2);
    expect(readUnitsFor(100, false)).toBe(0.5);
    expect(sqsBilledRequests(65_536)).toBe(1);
    expect(sqsBilledRequests(65_537)).toBe(2);
  });
});

describe('Function: priceLines', () => {
  it('prices per million events and totals the lines', () => {
    // Act
    const lines = priceLines([
      { category: 'API Gateway', item: 'requests', perEvent: 1, unit: 'request', unitPrice: 1 / 1e6 },
      { category: 'SQS', item: 'sends', perEvent: 2.5, unit: 'request', unitPrice: 0.4 / 1e6 },
    ]);

    // Assess
    expect(lines.map((line) => line.perMillionEvents)).toEqual([1, expect.closeTo(1, 10)]);
    expect(totalPerMillion(lines)).toBeCloseTo(2, 10);
  });

  it('prices EventBridge API destinations at $4.00 per million events at fan-out 10', () => {
    expect(peerPrices(10)[0]!.perMillionEvents).toBeCloseTo(4, 10);
  });
});

describe('Function: requestFloorPerEvent', () => {
  it('puts the request floor at fan-out 10 at $2.45 per million events with ingest fanning out, $2.95 through the fan-out queue, and the delivery log at $0.625 more', () => {
    // Act
    const inline = requestFloorPerEvent(10, true);
    const queued = requestFloorPerEvent(10, false);

    // Assess: 1.00 + 0.20 + 0.625 + 0.125 + 0.40 + 0.10 (a tenth of a receive, a delete and an invocation for the one group), and + 0.40 + 0.10 through the queue (per million)
    expect(inline.requests * 1e6).toBeCloseTo(2.45, 2);
    expect(queued.requests * 1e6).toBeCloseTo(2.95, 2);
    expect(inline.deliveryLog * 1e6).toBeCloseTo(0.625, 3);
  });

  it('counts a group message, its send share and its log write per ten deliveries', () => {
    // Act
    const hundred = requestFloorPerEvent(100, false);
    const ninetyOne = requestFloorPerEvent(91, false);

    // Assess: ten groups, one SendMessageBatch
    expect(hundred.deliveryLog * 1e6).toBeCloseTo(6.25, 2);
    expect(ninetyOne).toEqual(hundred);
  });
});
