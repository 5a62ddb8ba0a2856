import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per function, named by its role; level and service name come from Powertools' own env. */
export const createLogger = (role: string): Logger =>
  new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'webhook-fanout', persistentKeys: { function: role } });
