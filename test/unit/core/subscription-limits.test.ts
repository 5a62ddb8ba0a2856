import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lambdas/core/config';
import { ENV } from '../../../lambdas/core/resource-env';
import {
  checkSubscriptionFields,
  DEFAULT_SUBSCRIPTION_LIMITS,
  headerBytes,
  sameNameHeaders,
  subscriptionLimitsOf,
  subscriptionQuotaExceeded,
} from '../../../lambdas/core/subscription-limits';
import { loadFunctionSettings } from '../../../lambdas/core/settings';
import type { Env } from '../../../lambdas/core/config';

/** The limits as the api function reads them at cold start. */
const parseSubscriptionLimits = (env: Env) => subscriptionLimitsOf(loadFunctionSettings('api', env));

const refusalOf = (check: () => void): { statusCode: number; code: string; message: string } => {
  try {
    check();
  } catch (error) {
    return error as { statusCode: number; code: string; message: string };
  }
  throw new Error('the check accepted the fields');
};

const headersOf = (count: number, value = 'v'): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-h${i}`, value]));

describe('Module: subscription limits', () => {
  describe('Function: subscriptionLimitsOf, read by the api function', () => {
    it('defaults to 100 subscriptions per tenant, 100 filters, 20 headers and 4096 header bytes per subscription', () => {
      expect(parseSubscriptionLimits({})).toEqual({
        maxSubscriptionsPerTenant: 100,
        maxEventTypesPerSubscription: 100,
        maxHeadersPerSubscription: 20,
        maxHeaderBytesPerSubscription: 4096,
      });
    });

    it('reads each limit from its environment variable', () => {
      // Act
      const limits = parseSubscriptionLimits({
        [ENV.maxSubscriptionsPerTenant]: '5000',
        [ENV.maxEventTypesPerSubscription]: '10',
        [ENV.maxHeadersPerSubscription]: '0',
        [ENV.maxHeaderBytesPerSubscription]: '16384',
      });

      // Assess
      expect(limits).toEqual({
        maxSubscriptionsPerTenant: 5000,
        maxEventTypesPerSubscription: 10,
        maxHeadersPerSubscription: 0,
        maxHeaderBytesPerSubscription: 16384,
      });
    });

    it.each([
      [ENV.maxSubscriptionsPerTenant, '0'],
      [ENV.maxEventTypesPerSubscription, '1001'],
      [ENV.maxHeadersPerSubscription, '-1'],
      [ENV.maxHeaderBytesPerSubscription, '4k'],
    ])('stops at cold start on %s=%s, naming the variable', (name, value) => {
      expect(() => parseSubscriptionLimits({ [name]: value })).toThrow(ConfigError);
      expect(() => parseSubscriptionLimits({ [name]: value })).toThrow(name);
    });
  });

  describe('Function: sameNameHeaders', () => {
    it('finds names that differ only in case, in the order given', () => {
      expect(sameNameHeaders({ 'X-Team': 'a', 'x-other': 'b', 'x-team': 'c' })).toEqual(['X-Team', 'x-team']);
      expect(sameNameHeaders({ 'X-Team': 'a', 'X-Other': 'b' })).toBeUndefined();
    });
  });

  describe('Function: headerBytes', () => {
    it('counts names and values together', () => {
      expect(headerBytes({ 'x-a': '12345', 'x-bb': '' })).toBe(3 + 5 + 4);
    });
  });

  describe('Function: checkSubscriptionFields', () => {
    it('accepts fields at every limit, and fields not given', () => {
      // Prepare
      const limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, maxHeaderBytesPerSubscription: 20 * (4 + 2 + 196) };

      // Act & Assess
      expect(() =>
        checkSubscriptionFields({ eventTypes: Array.from({ length: 100 }, (_, i) => `type.${i}`), headers: headersOf(20, 'v'.repeat(196)) }, limits),
      ).not.toThrow();
      expect(() => checkSubscriptionFields({}, DEFAULT_SUBSCRIPTION_LIMITS)).not.toThrow();
    });

    it('refuses header names that differ only in case with 422 duplicate_header, naming both', () => {
      // Act
      const refusal = refusalOf(() => checkSubscriptionFields({ headers: { 'X-Team': 'billing', 'x-team': 'ops' } }, DEFAULT_SUBSCRIPTION_LIMITS));

      // Assess
      expect(refusal).toMatchObject({ statusCode: 422, code: 'duplicate_header' });
      expect(refusal.message).toContain('"X-Team" and "x-team"');
    });

    it.each([
      ['101 filters', { eventTypes: Array.from({ length: 101 }, (_, i) => `type.${i}`) }, 'maxEventTypesPerSubscription', 'at most 100'],
      ['21 headers', { headers: headersOf(21) }, 'maxHeadersPerSubscription', 'at most 20'],
      ['4097 header bytes', { headers: { 'x-big': 'v'.repeat(4097 - 5) } }, 'maxHeaderBytesPerSubscription', 'at most 4096'],
    ])('refuses %s with 422 limit_exceeded, naming the limit and its value', (_label, fields, limit, value) => {
      // Act
      const refusal = refusalOf(() => checkSubscriptionFields(fields, DEFAULT_SUBSCRIPTION_LIMITS));

      // Assess
      expect(refusal).toMatchObject({ statusCode: 422, code: 'limit_exceeded' });
      expect(refusal.message).toContain(limit);
      expect(refusal.message).toContain(value);
    });

    it('holds to the limits it is given, not the defaults', () => {
      const refusal = refusalOf(() => checkSubscriptionFields({ headers: headersOf(1) }, { ...DEFAULT_SUBSCRIPTION_LIMITS, maxHeadersPerSubscription: 0 }));
      expect(refusal.message).toContain('at most 0 (limit maxHeadersPerSubscription)');
    });
  });

  describe('Function: subscriptionQuotaExceeded', () => {
    it('is a 409 subscription_quota_exceeded naming the limit and its value', () => {
      const error = subscriptionQuotaExceeded(7);
      expect(error).toMatchObject({ statusCode: 409, code: 'subscription_quota_exceeded' });
      expect(error.message).toContain('7 (limit maxSubscriptionsPerTenant)');
    });
  });
});
