import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lambdas/core/config';
import { requireResources } from '../../../lambdas/core/resource-env';

describe('Function: requireResources', () => {
  it('reads each named resource from its environment variable', () => {
    // Act
    const resources = requireResources({ EVENTS_TABLE: 'events', FANOUT_QUEUE_URL: 'https://queue' }, ['eventsTable', 'fanoutQueueUrl']);

    // Assess
    expect(resources).toEqual({ eventsTable: 'events', fanoutQueueUrl: 'https://queue' });
  });

  it('stops with a ConfigError naming the variable of a missing or empty resource', () => {
    // Act & Assess
    expect(() => requireResources({ EVENTS_TABLE: 'events', FANOUT_QUEUE_URL: '' }, ['eventsTable', 'fanoutQueueUrl'])).toThrow(ConfigError);
    expect(() => requireResources({ EVENTS_TABLE: 'events' }, ['eventsTable', 'fanoutQueueUrl'])).toThrow(/FANOUT_QUEUE_URL/);
  });
});
