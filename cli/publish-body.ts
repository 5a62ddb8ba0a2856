import { InvalidArgumentError } from 'commander';

/**
 * The body of `POST /v1/events` built around the data's text as given: checked to be JSON, trimmed,
 * never parsed and written again, so the API and every receiver get the data as written. (A round
 * trip through JSON.parse and JSON.stringify turns 12345678901234567890 into 12345678901234567000
 * and 1e400 into null.) Throws a usage error when the data is not JSON.
 */
export const publishEventBody = (type: string, dataText: string): string => {
  try {
    JSON.parse(dataText);
  } catch (error) {
    throw new InvalidArgumentError(`the data is not JSON: ${(error as Error).message}`);
  }
  return `{"type":${JSON.stringify(type)},"data":${dataText.trim()}}`;
};
