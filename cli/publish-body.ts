import { InvalidArgumentError } from 'commander';

/**
 * Where an event goes: to a consumer's subscriptions (else the tenant's own), to one of them only,
 * or (a broadcast) to the tenant's own and every consumer's.
 */
export interface EventRouting {
  consumerId?: string;
  subscriptionId?: string;
  broadcast?: true;
}

/**
 * The body of `POST /v1/events` built around the data's text as given: checked to be JSON, trimmed,
 * never parsed and written again, so the API and every receiver get the data as written. (A round
 * trip through JSON.parse and JSON.stringify turns 12345678901234567890 into 12345678901234567000
 * and 1e400 into null.) The routing fields given are written beside the type. Throws a usage error
 * when the data is not JSON.
 */
export const publishEventBody = (type: string, dataText: string, routing: EventRouting = {}): string => {
  try {
    JSON.parse(dataText);
  } catch (error) {
    throw new InvalidArgumentError(`the data is not JSON: ${(error as Error).message}`);
  }
  const head = JSON.stringify({ type, ...routing }).slice(0, -1);
  return `${head},"data":${dataText.trim()}}`;
};
