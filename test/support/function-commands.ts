import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import { vi } from 'vitest';
import { awsRequests } from '../../lambdas/aws/request-counter';
import { startPipeline, type Pipeline } from './pipeline';

/** One command a function's SDK client sent, with its input as the client was given it. */
export interface SentCommand {
  service: 'SQS' | 'DynamoDB';
  /** The operation: 'GetItem', 'Query', 'SendMessageBatch', ... */
  name: string;
  input: Record<string, unknown>;
}

/**
 * Records every command the functions' SDK clients send. Every client the handlers build goes
 * through `awsRequests.attach` (lambdas/aws/clients.ts); while this is installed, each one also gets
 * a middleware that keeps the command's input. Install it before `startPipeline` (the handlers
 * build their clients when they are imported) and `stop` it once they are: the clients keep
 * recording into `sent` for as long as they live.
 */
export const recordFunctionCommands = (): { sent: SentCommand[]; stop: () => void } => {
  const sent: SentCommand[] = [];
  const attach = awsRequests.attach.bind(awsRequests) as (client: unknown, service: SentCommand['service']) => unknown;
  const spy = vi.spyOn(awsRequests, 'attach').mockImplementation(((client: { middlewareStack: unknown }, service: SentCommand['service']) => {
    const record: InitializeMiddleware<object, object> = (next, context) => async (args) => {
      sent.push({ service, name: String(context.commandName ?? 'Unknown').replace(/Command$/, ''), input: args.input as Record<string, unknown> });
      return next(args);
    };
    (client.middlewareStack as MiddlewareStack<object, object>).add(record, { step: 'initialize', name: 'recordCommandInputs' });
    return attach(client, service);
  }) as unknown as typeof awsRequests.attach);
  return { sent, stop: () => spy.mockRestore() };
};

/** A pipeline whose functions' commands are recorded in `sent` for as long as it runs. */
export const startRecordedPipeline = async (overrides: Record<string, string>): Promise<{ pipeline: Pipeline; sent: SentCommand[] }> => {
  const recorder = recordFunctionCommands();
  try {
    return { pipeline: await startPipeline(overrides), sent: recorder.sent };
  } finally {
    recorder.stop();
  }
};
