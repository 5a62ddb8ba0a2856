import { describe, expect, it } from 'vitest';
import { generateApiKey, generateChecksumSecret } from '../../lambdas/core/api-keys';
import { ENV } from '../../lambdas/core/resource-env';
import { LocalConfigError, readLocalConfig } from '../../local/local-config';

describe('Function: readLocalConfig', () => {
  it('takes keys made by `keys generate` (the older, unkeyed format) for LOCAL_API_KEY and LOCAL_API_KEYS', () => {
    // Prepare
    const local = generateApiKey().key;
    const acme = generateApiKey().key;

    // Act
    const config = readLocalConfig({ LOCAL_API_KEY: local, LOCAL_API_KEYS: `acme:${acme}` });

    // Assess
    expect(config.apiKey).toBe(local);
    expect(config.extraKeys).toEqual([{ tenantId: 'acme', key: acme }]);
  });

  it("refuses a deployment's keyed key, which no local pipeline can check, pointing at `keys generate`", () => {
    // Prepare
    const keyed = generateApiKey({ checksumSecret: generateChecksumSecret() }).key;

    // Act & Assess
    expect(() => readLocalConfig({ LOCAL_API_KEY: keyed })).toThrow(LocalConfigError);
    expect(() => readLocalConfig({ LOCAL_API_KEY: keyed })).toThrow(/keys generate/);
    expect(() => readLocalConfig({ LOCAL_API_KEYS: `acme:${keyed}` })).toThrow(/keys generate/);
  });

  it('hands the subscription limits set in its environment to every function, and leaves unset ones to the template', () => {
    // Act
    const config = readLocalConfig({ [ENV.maxSubscriptionsPerTenant]: '5', [ENV.maxHeaderBytesPerSubscription]: '' });

    // Assess
    expect(config.functionOverrides[ENV.maxSubscriptionsPerTenant]).toBe('5');
    expect(config.functionOverrides).not.toHaveProperty(ENV.maxHeaderBytesPerSubscription);
    expect(config.functionOverrides).not.toHaveProperty(ENV.maxEventTypesPerSubscription);
  });

  it('hands any setting set in its environment to every function, and gives a laptop loopback, http and every success logged', () => {
    // Act
    const config = readLocalConfig({ [ENV.maxBodyBytes]: '2048', [ENV.allowHttp]: 'false' });

    // Assess
    expect(config.functionOverrides).toEqual({
      [ENV.maxBodyBytes]: '2048',
      [ENV.allowHttp]: 'false',
      [ENV.allowedPrivateNetworks]: '127.0.0.0/8,::1/128',
      [ENV.successLogSampleRate]: '1',
    });
  });
});
