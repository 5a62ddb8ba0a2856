/** Number formats shared by the process benchmarks' tables, so every section reads alike. */

export const kilobytes = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;

export const milliseconds = (ms: number): string => `${ms.toFixed(1)} ms`;

export const microseconds = (us: number): string => `${us.toFixed(0)} µs`;

export const times = (ratio: number): string => `${ratio.toFixed(2)}x`;

export const perSecond = (rate: number): string => `${Math.round(rate).toLocaleString('en-US')}/s`;

/** `{ 'DynamoDB.PutItem': 1, 'SQS.SendMessage': 1 }` as `DynamoDB.PutItem 1, SQS.SendMessage 1`. */
export const callList = (calls: Record<string, number>): string =>
  Object.entries(calls)
    .map(([name, count]) => `${name} ${Number.isInteger(count) ? count : Number(count.toPrecision(2))}`)
    .join(', ') || 'none';
