import { DEFAULT_STACK_NAME, STACK_OUTPUTS, type StackOutputId } from '../lib/stack-outputs';
import { readRuntimeState, type RuntimeState } from '../admin/local-runtime-state';
import { createApiClient, type ApiClient } from './api-client';
import { MissingApiKeyError } from './errors';
import { stackOutput } from './stack-resources';

/** Where the API key comes from when no `--api-key` is given. */
export const API_KEY_ENV = 'WEBHOOK_FANOUT_API_KEY';
/** Where the API URL comes from when neither `--api-url` nor the stack outputs give it. */
export const API_URL_ENV = 'WEBHOOK_FANOUT_API_URL';

export interface StackTarget {
  stack: string;
}

export interface ApiTarget extends StackTarget {
  apiUrl?: string;
  apiKey?: string;
}

/**
 * What the commands work on: a deployed stack, found by its outputs with the operator's AWS
 * credentials, or with `--local` the pipeline `npm start` runs, whose emulators then receive every
 * AWS call and whose API key is used when none is given.
 */
export class Targets {
  private local: RuntimeState | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  useLocalRuntime(): void {
    const state = readRuntimeState();
    this.local = state;
    Object.assign(this.env, {
      AWS_ENDPOINT_URL_SQS: state.sqsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: state.dynamoEndpoint,
      AWS_REGION: this.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    delete this.env.AWS_PROFILE;
  }

  /** One output of the stack (or of the local pipeline). */
  output = async (stack: string, outputId: StackOutputId): Promise<string> => {
    if (this.local === undefined) return stackOutput(stack, outputId);
    const value = this.local.outputs[outputId];
    if (value === undefined) throw new Error(`the local pipeline has no output ${outputId}`);
    return value;
  };

  /**
   * A client of the HTTP API. URL and key come from the flags, else (with `--local`) from the local
   * pipeline, else from the environment, and the URL last from the stack's outputs. With `--local`
   * the environment is not read, so a shell set up for production cannot send a local command there.
   * An empty value counts as none.
   */
  async api(target: ApiTarget): Promise<ApiClient> {
    const local = this.local;
    const apiKey = target.apiKey || (local === undefined ? this.env[API_KEY_ENV] : local.apiKey);
    if (apiKey === undefined || apiKey === '') {
      throw new MissingApiKeyError(`no API key: set ${API_KEY_ENV} (or pass --api-key)`);
    }
    const apiUrl =
      target.apiUrl ||
      (local === undefined ? this.env[API_URL_ENV] || (await this.output(target.stack ?? DEFAULT_STACK_NAME, STACK_OUTPUTS.apiUrl)) : local.apiUrl);
    return createApiClient({ baseUrl: apiUrl, apiKey });
  }
}
