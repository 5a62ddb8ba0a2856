import type { TestProject } from 'vitest/node';
import { localAwsEnvironment, startEmulators, type DynamoKind } from '../../local/emulators';

declare module 'vitest' {
  export interface ProvidedContext {
    sqsEndpoint: string;
    dynamoEndpoint: string;
    dynamoKind: DynamoKind;
  }
}

/**
 * Starts fauxqs and DynamoDB Local (or dynalite, see LOCAL_DYNAMODB) once for the whole run. Test
 * files get the endpoints with `inject` (through test/support/emulators.ts) and keep apart by
 * giving their tables and queues unique name prefixes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started = Date.now();
  const emulators = await startEmulators({ log: (line) => console.warn(line) });
  if (process.env.EMULATORS_VERBOSE === 'true') {
    console.info(
      `emulators ready in ${Date.now() - started} ms: sqs ${emulators.sqsEndpoint}, ` +
        `${emulators.dynamoKind} ${emulators.dynamoEndpoint}`,
    );
  }
  project.provide('sqsEndpoint', emulators.sqsEndpoint);
  project.provide('dynamoEndpoint', emulators.dynamoEndpoint);
  project.provide('dynamoKind', emulators.dynamoKind);

  // Workers are forked after this point and inherit the environment: an SDK client built without
  // an explicit endpoint (handler code) reaches the emulators, never a real account.
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(localAwsEnvironment(emulators))) {
    previous.set(name, process.env[name]);
    process.env[name] = value;
  }

  return async () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await emulators.stop();
  };
}
