import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/core/env-names';
import { readLocalConfig } from '../../local/local-config';

describe('Function: readLocalConfig', () => {
  it('hands the subscription limits set in its environment to every function, and leaves unset ones to the template', () => {
    // Act
    const config = readLocalConfig({ [ENV.maxSubscriptionsPerTenant]: '5', [ENV.maxHeaderBytesPerSubscription]: '' });

    // Assess
    expect(config.functionOverrides[ENV.maxSubscriptionsPerTenant]).toBe('5');
    expect(config.functionOverrides).not.toHaveProperty(ENV.maxHeaderBytesPerSubscription);
    expect(config.functionOverrides).not.toHaveProperty(ENV.maxEventTypesPerSubscription);
  });
});
