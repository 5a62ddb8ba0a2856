import { createHash, randomUUID } from 'node:crypto';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest, HttpResponse } from '@smithy/types';
import { createDynamoClient, createSqsClient } from '../../lambdas/aws/clients';
import { TABLE_KEYS } from '../../lambdas/core/resource-env';

type Json = Record<string, unknown>;
type Item = Record<string, unknown>;

/**
 * An in-memory DynamoDB and SQS that answer at the SDK's HTTP handler, the last step before the
 * wire: the handlers' clients, stores and publishers run their real code (marshalling, signing,
 * middleware, retries, checksums), and only the network round trip is left out. It serves the
 * operations the functions (and issuing their API key) use, keyed by the tables' `pk`/`sk`, and ignores condition expressions
 * (every benchmark writes fresh keys, so no condition would fail anyway).
 */
class InMemoryAws {
  private readonly tables = new Map<string, Map<string, Item>>();

  answer(request: HttpRequest): Json {
    const [service, operation] = (request.headers['x-amz-target'] ?? '').split('.');
    const input = JSON.parse(bodyText(request.body)) as Json;
    if (service?.startsWith('DynamoDB')) return this.dynamo(operation ?? '', input);
    if (service === 'AmazonSQS') return this.sqs(operation ?? '', input);
    throw new Error(`the in-memory AWS has no ${request.headers['x-amz-target'] ?? request.path}`);
  }

  private table(name: unknown): Map<string, Item> {
    const key = String(name);
    let table = this.tables.get(key);
    if (table === undefined) this.tables.set(key, (table = new Map()));
    return table;
  }

  private dynamo(operation: string, input: Json): Json {
    const table = this.table(input.TableName);
    switch (operation) {
      case 'PutItem': {
        const item = input.Item as Item;
        table.set(keyString(item), item);
        return {};
      }
      case 'GetItem': {
        const item = table.get(keyString(input.Key as Item));
        return item === undefined ? {} : { Item: item };
      }
      case 'UpdateItem':
      case 'DeleteItem':
        return {};
      case 'Scan': {
        // Issuing a key lists the keys table once (are keys of the older format in use?).
        if (input.FilterExpression !== undefined) throw new Error('the in-memory DynamoDB scans whole tables only');
        const items = [...table.values()];
        return { Items: items, Count: items.length, ScannedCount: items.length };
      }
      default:
        throw new Error(`the in-memory DynamoDB has no ${operation}`);
    }
  }

  private sqs(operation: string, input: Json): Json {
    switch (operation) {
      case 'SendMessage':
        return { MessageId: randomUUID(), MD5OfMessageBody: md5(String(input.MessageBody)) };
      case 'SendMessageBatch': {
        const entries = input.Entries as Array<{ Id: string; MessageBody: string }>;
        return {
          Successful: entries.map((entry) => ({ Id: entry.Id, MessageId: randomUUID(), MD5OfMessageBody: md5(entry.MessageBody) })),
          Failed: [],
        };
      }
      case 'ChangeMessageVisibility':
      case 'DeleteMessage':
        return {};
      default:
        throw new Error(`the in-memory SQS has no ${operation}`);
    }
  }
}

/**
 * The SDK hands the serialized JSON over as text or as bytes. Bytes are read through their buffer:
 * `Buffer.from(bytes)` would call the SDK's byte adapter's `valueOf`, which warns that it is not a string.
 */
const bodyText = (body: unknown): string => {
  if (body === undefined || body === null) return '{}';
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return String(body);
};

const keyString = (item: Item): string => JSON.stringify([item[TABLE_KEYS.partitionKey], item[TABLE_KEYS.sortKey]]);

/** SQS clients check the MD5 of what they sent against the answer, as they do with the real service. */
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/**
 * An answer with the headers AWS sends with every JSON answer (the SDK reads the date for its
 * clock-skew correction and the request id into the response metadata). The body is handed over
 * already read: reading Node's response stream is left out with the rest of the network.
 */
const httpResponse = (payload: Json): HttpResponse => {
  const body = Buffer.from(JSON.stringify(payload));
  return {
    statusCode: 200,
    reason: 'OK',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': String(body.length),
      date: new Date().toUTCString(),
      'x-amzn-requestid': randomUUID(),
    },
    body,
  };
};

/**
 * Makes every SDK client of this process answer from memory. Only for processes that run a
 * benchmark: the SDK offers no process-wide request handler, and the functions create their
 * clients at import without one to inject.
 */
export const installInMemoryAws = (): void => {
  // The functions' own clients, as lambdas/aws/clients.ts configures them, must send through the
  // handler replaced here; this also guards against a second copy of the handler package.
  for (const probe of [createDynamoClient(), createSqsClient()]) {
    if (!(probe.config.requestHandler instanceof NodeHttpHandler)) {
      throw new Error('the SDK clients do not use the NodeHttpHandler this benchmark replaces');
    }
    probe.destroy();
  }
  const aws = new InMemoryAws();
  NodeHttpHandler.prototype.handle = async (request: HttpRequest): Promise<{ response: HttpResponse }> => ({
    response: httpResponse(aws.answer(request)),
  });
};
