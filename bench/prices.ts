/**
 * List prices the cost benchmark multiplies measured usage by: us-east-1, in US dollars, as
 * published by the vendors and gathered in 2026 from secondary sources. Check them again before
 * quoting; the date and source travel with every table that uses them.
 */
export const PRICES = {
  asOf: '2026',
  region: 'us-east-1',
  source: 'AWS, Svix and Hookdeck public list prices as summarised in 2026 (secondary sources)',
  /** HTTP API, per request (each 512 KB of a request counts as one). */
  httpApiRequest: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** Lambda duration on arm64, per GB-second. */
  lambdaArmGbSecond: 0.0000133334,
  /** Per SQS request, each 64 KB chunk of its payload billed as one request. */
  sqsRequest: 0.4 / 1e6,
  /** DynamoDB on-demand, per write request unit (1 KB) and per read request unit (4 KB, strongly consistent). */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  cloudWatchLogsIngestedGb: 0.5,
  eventBridgeCustomEvent: 1.0 / 1e6,
  eventBridgeApiDestinationInvocation: 0.2 / 1e6,
  /** Per message sent (overage beyond the plan). */
  svixMessage: 100 / 1e6,
  hookdeckEvent: 10 / 1e6,
} as const;

export const SQS_BILLING_CHUNK_BYTES = 64 * 1024;
export const DYNAMO_WRITE_UNIT_BYTES = 1024;
export const DYNAMO_READ_UNIT_BYTES = 4096;
export const LOGS_GB = 1024 ** 3;
