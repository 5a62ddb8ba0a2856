import { DELIVERY_GROUP_SIZE } from '../lambdas/core/messages';
import { DYNAMO_READ_UNIT_BYTES, DYNAMO_WRITE_UNIT_BYTES, LOGS_GB, PRICES, SQS_BILLING_CHUNK_BYTES } from './prices';

/** A DynamoDB attribute value as it travels on the wire (the JSON protocol's shape). */
export type WireAttributeValue = {
  S?: string;
  N?: string;
  B?: string;
  BOOL?: boolean;
  NULL?: boolean;
  M?: Record<string, WireAttributeValue>;
  L?: WireAttributeValue[];
  SS?: string[];
  NS?: string[];
  BS?: string[];
};
export type WireItem = Record<string, WireAttributeValue>;

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/** DynamoDB's documented size of a number: about one byte per two significant digits, plus one. */
const numberBytes = (value: string): number => {
  const mantissa = value.replace(/^[-+]/, '').replace(/[eE].*$/, '').replace('.', '');
  const significant = mantissa.replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, significant.length) / 2) + 1;
};

const valueBytes = (value: WireAttributeValue): number => {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return Buffer.from(value.B, 'base64').length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  // Maps and lists cost 3 bytes plus 1 per element on top of their contents.
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, inner]) => sum + utf8(name) + valueBytes(inner) + 1, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, inner) => sum + valueBytes(inner) + 1, 0);
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + Buffer.from(b, 'base64').length, 0);
  return 0;
};

/** An item's size as DynamoDB bills it: attribute names plus values. */
export const dynamoItemBytes = (item: WireItem): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueBytes(value), 0);

export const writeUnitsFor = (itemBytes: number): number => Math.max(1, Math.ceil(itemBytes / DYNAMO_WRITE_UNIT_BYTES));

/** Read units for items read together (a GetItem's item, a Query page): halved when eventually consistent. */
export const readUnitsFor = (totalBytes: number, consistent: boolean): number => {
  const units = Math.max(1, Math.ceil(totalBytes / DYNAMO_READ_UNIT_BYTES));
  return consistent ? units : units / 2;
};

/** SQS bills each 64 KB chunk of a request's payload as one request. */
export const sqsBilledRequests = (payloadBytes: number): number => Math.max(1, Math.ceil(payloadBytes / SQS_BILLING_CHUNK_BYTES));

/** Lambda bills duration rounded up to the millisecond, times the configured memory. */
export const lambdaGbSeconds = (durationMs: number, memoryMb: number): number => (Math.ceil(durationMs) / 1000) * (memoryMb / 1024);

export type CostCategory = 'API Gateway' | 'Lambda' | 'SQS' | 'DynamoDB' | 'CloudWatch Logs';

/** One billed quantity per event and what a unit of it costs. */
export interface UsageLine {
  category: CostCategory;
  item: string;
  perEvent: number;
  unit: string;
  unitPrice: number;
}

export interface PricedLine extends UsageLine {
  perMillionEvents: number;
}

export const priceLines = (lines: readonly UsageLine[]): PricedLine[] =>
  lines.map((line) => ({ ...line, perMillionEvents: line.perEvent * line.unitPrice * 1e6 }));

export const totalPerMillion = (lines: readonly PricedLine[]): number => lines.reduce((sum, line) => sum + line.perMillionEvents, 0);

/** The lines that cost most, largest first, with their share of the total. */
export const biggestLines = (lines: readonly PricedLine[], count: number): Array<PricedLine & { share: number }> => {
  const total = totalPerMillion(lines);
  return [...lines]
    .sort((a, b) => b.perMillionEvents - a.perMillionEvents)
    .slice(0, count)
    .map((line) => ({ ...line, share: total === 0 ? 0 : line.perMillionEvents / total }));
};

export const logIngestionLine = (source: string, bytesPerEvent: number): UsageLine => ({
  category: 'CloudWatch Logs',
  item: `log ingestion, ${source}`,
  perEvent: bytesPerEvent / LOGS_GB,
  unit: 'GB',
  unitPrice: PRICES.cloudWatchLogsIngestedGb,
});

export interface PeerPrice {
  name: string;
  perMillionEvents: number;
  basis: string;
}

/** What the same events cost elsewhere at list price: the managed AWS route and two hosted services. */
export const peerPrices = (fanOut: number): PeerPrice[] => [
  {
    name: 'EventBridge API destinations',
    perMillionEvents: (PRICES.httpApiRequest + PRICES.eventBridgeCustomEvent + fanOut * PRICES.eventBridgeApiDestinationInvocation) * 1e6,
    basis: `HTTP API ingest + 1 custom event + ${fanOut} API destination invocation(s) per event; no delivery log, no signatures`,
  },
  {
    name: 'Svix (overage)',
    perMillionEvents: PRICES.svixMessage * 1e6,
    basis: 'per message, list overage price',
  },
  {
    name: 'Hookdeck',
    perMillionEvents: PRICES.hookdeckEvent * 1e6,
    basis: 'per event, list price',
  },
];

/** One AWS request as seen on the wire, parsed from the JSON protocol both SQS and DynamoDB speak. */
export interface WireCall {
  service: 'SQS' | 'DynamoDB';
  operation: string;
  request: unknown;
  response: unknown;
  requestBytes: number;
  responseBytes: number;
}

export interface BilledUnits {
  sqsRequests: number;
  writeUnits: number;
  readUnits: number;
}

const NONE: BilledUnits = { sqsRequests: 0, writeUnits: 0, readUnits: 0 };

type DynamoRequest = {
  Item?: WireItem;
  ConsistentRead?: boolean;
  RequestItems?: Record<string, Array<{ PutRequest?: { Item: WireItem }; DeleteRequest?: unknown }> | { ConsistentRead?: boolean }>;
};
type DynamoResponse = { Item?: WireItem; Items?: WireItem[]; Attributes?: WireItem; Responses?: Record<string, WireItem[]> };

/**
 * What one request is billed: SQS per 64 KB chunk of its payload; DynamoDB on-demand per 1 KB
 * written (the written item, or for an update the item returned, else one unit) and per 4 KB read
 * (the items a read returns together).
 */
export const billedUnitsOf = (call: WireCall): BilledUnits => {
  if (call.service === 'SQS') return { ...NONE, sqsRequests: sqsBilledRequests(Math.max(call.requestBytes, call.responseBytes)) };
  const request = (call.request ?? {}) as DynamoRequest;
  const response = (call.response ?? {}) as DynamoResponse;
  const consistent = request.ConsistentRead === true;
  switch (call.operation) {
    case 'PutItem':
      return { ...NONE, writeUnits: writeUnitsFor(request.Item === undefined ? 0 : dynamoItemBytes(request.Item)) };
    case 'UpdateItem':
      return { ...NONE, writeUnits: writeUnitsFor(response.Attributes === undefined ? 0 : dynamoItemBytes(response.Attributes)) };
    case 'DeleteItem':
      return { ...NONE, writeUnits: 1 };
    case 'BatchWriteItem': {
      const requests = Object.values(request.RequestItems ?? {}).flatMap((entries) => (Array.isArray(entries) ? entries : []));
      const writeUnits = requests.reduce((sum, entry) => sum + writeUnitsFor(entry.PutRequest === undefined ? 0 : dynamoItemBytes(entry.PutRequest.Item)), 0);
      return { ...NONE, writeUnits };
    }
    case 'GetItem':
      return { ...NONE, readUnits: readUnitsFor(response.Item === undefined ? 0 : dynamoItemBytes(response.Item), consistent) };
    case 'Query':
    case 'Scan':
      return { ...NONE, readUnits: readUnitsFor((response.Items ?? []).reduce((sum, item) => sum + dynamoItemBytes(item), 0), consistent) };
    case 'BatchGetItem': {
      // Billed as a GetItem per item returned, each rounded up on its own.
      const tables = Object.entries(request.RequestItems ?? {}) as Array<[string, { ConsistentRead?: boolean }]>;
      const readUnits = tables.reduce(
        (sum, [table, options]) => sum + (response.Responses?.[table] ?? []).reduce((units, item) => units + readUnitsFor(dynamoItemBytes(item), options.ConsistentRead === true), 0),
        0,
      );
      return { ...NONE, readUnits };
    }
    default:
      return NONE;
  }
};

/**
 * The least this architecture can bill per event, before any Lambda duration, log line, retry or
 * delivery record: the requests this data flow makes when every batch is full. One HTTP API
 * request; ingest's invocation and event write (one unit); then either ingest's own fan-out (a
 * subscription query and one SendMessageBatch per ten group messages) or the hand-over to the
 * fan-out queue and fan-out's share of a full batch of ten events (receive, delete, invocation),
 * its query and its batches; and per group message (up to ten deliveries) a tenth of a receive, a
 * delete and a delivery invocation. The delivery log then adds at least one write unit per group.
 */
export const requestFloorPerEvent = (fanOut: number, inlineFanOut: boolean): { requests: number; deliveryLog: number } => {
  const fullBatch = 10;
  const groups = Math.ceil(fanOut / DELIVERY_GROUP_SIZE);
  const handOver = inlineFanOut ? 0 : PRICES.sqsRequest + (2 * PRICES.sqsRequest + PRICES.lambdaRequest) / fullBatch;
  const requests =
    PRICES.httpApiRequest +
    PRICES.lambdaRequest +
    PRICES.dynamoWriteUnit +
    handOver +
    PRICES.dynamoReadUnit +
    Math.ceil(groups / fullBatch) * PRICES.sqsRequest +
    (groups / fullBatch) * (2 * PRICES.sqsRequest + PRICES.lambdaRequest);
  return { requests, deliveryLog: groups * PRICES.dynamoWriteUnit };
};
