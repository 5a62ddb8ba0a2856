import { describe, expect, it } from 'vitest';
import { aSubscriptionView } from '../../kit/builders';
import { ApiError } from '../../../cli/api-client';
import { EXIT, exitCodeFor } from '../../../cli/exit-codes';
import { progressLine } from '../../../cli/progress-bar';
import { fieldList, textTable } from '../../../cli/table';
import { parseTimeArg } from '../../../cli/time-arg';
import {
  acceptedEventText,
  circuitOf,
  consumerDeletedLine,
  consumerDetails,
  consumerDisabledLine,
  consumerEnabledLine,
  consumerTable,
  deliveryLine,
  eventDataText,
  eventDetails,
  lastAttempt,
  subscriptionDetails,
  subscriptionTable,
  type Delivery,
} from '../../../cli/views';

const delivery = (overrides: Partial<Delivery> = {}): Delivery => ({
  eventId: 'evt_01J0000000000000000000000A',
  subscriptionId: 'sub_01J0000000000000000000000B',
  eventType: 'order.created',
  status: 'retrying',
  attempts: 2,
  attemptLog: [{ attempt: 2, at: '2026-03-01T12:00:31.000Z', outcome: 'failed', statusCode: 503, durationMs: 12.4, reason: 'throttled' }],
  nextAttemptAt: '2026-03-01T12:05:31.000Z',
  createdAt: '2026-03-01T12:00:01.000Z',
  updatedAt: '2026-03-01T12:00:31.000Z',
  ...overrides,
});

describe('CLI formatting', () => {
  it("shows an endpoint's circuit: closed, counting, or open with its next probe and last error", () => {
    const open = aSubscriptionView({
      circuit: {
        state: 'open',
        since: '2026-03-01T12:00:05.000Z',
        consecutiveFailures: 5,
        lastError: 'timeout: no complete answer within 15000 ms',
        lastFailureAt: '2026-03-01T12:00:05.000Z',
        nextProbeAt: '2026-03-01T12:00:10.000Z',
      },
    });
    expect(circuitOf(aSubscriptionView())).toBe('closed');
    expect(circuitOf(aSubscriptionView({ circuit: { state: 'closed', consecutiveFailures: 2 } }))).toBe('closed (2 without an answer in a row)');
    expect(circuitOf(open)).toBe('open since 2026-03-01T12:00:05.000Z, next probe 2026-03-01T12:00:10.000Z');
    expect(subscriptionDetails(open)).toMatch(/^last error: +timeout: no complete answer within 15000 ms \(2026-03-01T12:00:05.000Z\)$/m);
    expect(subscriptionTable([open]).split('\n')[2]).toMatch(/^sub_\w+ +enabled +open +order\.\*/);
  });

  it('pads table columns to their widest cell and folds line breaks', () => {
    const table = textTable(['ID', 'URL'], [['sub_1', 'https://a.example/x'], ['sub_22', 'two\nlines']]);
    expect(table.split('\n')).toEqual(['ID      URL', '------  -------------------', 'sub_1   https://a.example/x', 'sub_22  two lines']);
  });

  it('aligns field lists and leaves out what is undefined', () => {
    expect(fieldList([['id', 'sub_1'], ['description', undefined], ['event types', '*']])).toBe('id:           sub_1\nevent types:  *');
  });

  it('says what the last attempt did in a few words', () => {
    expect(lastAttempt(delivery())).toBe('503 throttled');
    expect(lastAttempt(delivery({ attemptLog: [{ attempt: 1, at: 'x', outcome: 'delivered', statusCode: 200, durationMs: 41.6 }] }))).toBe('200 in 42 ms');
    expect(lastAttempt(delivery({ attemptLog: [{ attempt: 1, at: 'x', outcome: 'failed', durationMs: 15000, reason: 'timeout' }] }))).toBe('timeout');
    expect(lastAttempt(delivery({ attemptLog: [] }))).toBe('');
  });

  it('prints one tail line per change with the next attempt while retrying', () => {
    expect(deliveryLine(delivery())).toBe(
      '2026-03-01T12:00:31.000Z  evt_01J0000000000000000000000A  sub_01J0000000000000000000000B  order.created  retrying  attempt 2  503 throttled  next 2026-03-01T12:05:31.000Z',
    );
  });

  it('draws a progress bar, or a bare count when the total is unknown', () => {
    expect(progressLine(5, 10, 'moved', 10)).toBe('[#####-----]  5/10 moved');
    expect(progressLine(12, 10, 'moved', 10)).toBe('[##########] 12/10 moved');
    expect(progressLine(3, undefined, 'moved')).toBe('3 moved');
  });
});

describe('CLI arguments and exit codes', () => {
  it('reads a time as ISO-8601 or as a duration back from now', () => {
    const now = () => Date.parse('2026-03-01T12:00:00Z');
    expect(parseTimeArg('2h', now)).toBe('2026-03-01T10:00:00.000Z');
    expect(parseTimeArg('90s', now)).toBe('2026-03-01T11:58:30.000Z');
    expect(parseTimeArg('3d', now)).toBe('2026-02-26T12:00:00.000Z');
    expect(parseTimeArg('2026-02-01T00:00:00+01:00', now)).toBe('2026-01-31T23:00:00.000Z');
    for (const bad of ['', 'yesterday', '2h ago', '-2h', '2026-13-45T00:00:00Z', '1700000000', '99999999999999d']) {
      expect(() => parseTimeArg(bad, now), bad).toThrow(/ISO-8601 time/);
    }
  });

  it('maps API refusals to exit codes a script can tell apart', () => {
    expect(exitCodeFor(new ApiError(404, 'not_found', 'x'))).toBe(EXIT.notFound);
    expect(exitCodeFor(new ApiError(401, 'unauthorized', 'x'))).toBe(EXIT.unauthorized);
    expect(exitCodeFor(new ApiError(403, 'forbidden', 'x'))).toBe(EXIT.unauthorized);
    for (const status of [400, 409, 413, 415, 422, 429]) expect(exitCodeFor(new ApiError(status, 'x', 'x'))).toBe(EXIT.refused);
    expect(exitCodeFor(new ApiError(503, 'http_503', 'x'))).toBe(EXIT.failure);
    expect(exitCodeFor(new Error('socket hang up'))).toBe(EXIT.failure);
  });
});

describe('CLI: an event summary', () => {
  it('lists delivery counts in the order deliveries pass through the statuses, whatever order the API used', () => {
    const text = eventDetails({ id: 'evt_1', type: 'a', createdAt: 'x', data: null, deliveries: { exhausted: 1, delivered: 3, retrying: 2, complete: false } }, 'null');
    expect(text).toMatch(/^deliveries: +retrying 2, delivered 3, exhausted 1 \(first 1000 subscriptions only\)$/m);
  });

  it("takes the data's text from the API's answer as written, numbers not rounded", () => {
    // Arrange
    const answer = '{"id":"evt_1","type":"a","data":{"n":12345678901234567890, "x":1e400},"deliveries":{"complete":true}}';

    // Act
    const data = eventDataText(answer);

    // Assess
    expect(data).toBe('{"n":12345678901234567890, "x":1e400}');
  });
});

describe('CLI: consumers and where an event went', () => {
  const consumer = { id: 'cus_acme', name: 'Acme', metadata: { region: 'eu', plan: 'pro' }, createdAt: '2026-03-01T12:00:00.000Z', updatedAt: '2026-03-01T12:30:00.000Z' };

  it('shows consumers as a table and one as a field list, metadata in key order, leaving out a name and metadata it has not', () => {
    expect(consumerTable([consumer, { ...consumer, id: 'cus_globex', name: undefined, metadata: {} }]).split('\n')).toEqual([
      'ID          NAME  METADATA             CREATED',
      '----------  ----  -------------------  ------------------------',
      'cus_acme    Acme  plan=pro, region=eu  2026-03-01T12:00:00.000Z',
      'cus_globex                             2026-03-01T12:00:00.000Z',
    ]);
    expect(consumerTable([])).toBe('no consumers');
    expect(consumerDetails({ ...consumer, name: undefined, metadata: {} })).toBe('id:       cus_acme\ncreated:  2026-03-01T12:00:00.000Z\nupdated:  2026-03-01T12:30:00.000Z');
    expect(consumerDetails(consumer)).toMatch(/^metadata: +plan=pro, region=eu$/m);
  });

  it("names a subscription's consumer when it has one", () => {
    expect(subscriptionDetails(aSubscriptionView({ consumerId: 'cus_acme' }))).toMatch(/^consumer: +cus_acme$/m);
    expect(subscriptionDetails(aSubscriptionView())).not.toMatch(/^consumer:/m);
  });

  it('says how many subscriptions went with a deleted consumer', () => {
    expect(consumerDeletedLine('cus_acme', { deleted: true, subscriptionsDeleted: 2 })).toBe('deleted cus_acme and its 2 subscriptions');
    expect(consumerDeletedLine('cus_acme', { deleted: true, subscriptionsDeleted: 1 })).toBe('deleted cus_acme and its 1 subscription');
  });

  it('says how many subscriptions a consumer disable or enable changed, and how many it left disabled for another reason', () => {
    expect(consumerDisabledLine('cus_acme', { subscriptionsDisabled: 2, subscriptionsDisabledForOtherReasons: 0 })).toBe('disabled 2 subscriptions of cus_acme');
    expect(consumerDisabledLine('cus_acme', { subscriptionsDisabled: 0, subscriptionsDisabledForOtherReasons: 1 })).toBe(
      'disabled 0 subscriptions of cus_acme\n1 subscription disabled already for another reason kept that reason',
    );
    expect(consumerEnabledLine('cus_acme', { subscriptionsEnabled: 1, subscriptionsDisabledForOtherReasons: 0 })).toBe('enabled 1 subscription of cus_acme');
    expect(consumerEnabledLine('cus_acme', { subscriptionsEnabled: 2, subscriptionsDisabledForOtherReasons: 3 })).toBe(
      'enabled 2 subscriptions of cus_acme\n3 subscriptions disabled for another reason stayed disabled: enable one with subscriptions update <id> --enabled true',
    );
  });

  it('prints the subscriptions an accepted event matched when the API names them, and how many it left out', () => {
    const accepted = { id: 'evt_1', type: 'invoice.paid', createdAt: '2026-03-01T12:00:00.000Z' };
    const ids = Array.from({ length: 10 }, (_, index) => `sub_${index}`);
    expect(acceptedEventText(accepted)).toBe('accepted evt_1 (invoice.paid) at 2026-03-01T12:00:00.000Z');
    expect(acceptedEventText({ ...accepted, matched: { count: 1, subscriptionIds: ['sub_a'] } }).split('\n')[1]).toBe('matched 1 subscription: sub_a');
    expect(acceptedEventText({ ...accepted, matched: { count: 0, subscriptionIds: [] } }).split('\n')[1]).toBe('matched 0 subscriptions');
    expect(acceptedEventText({ ...accepted, matched: { count: 12, subscriptionIds: ids } }).split('\n')[1]).toBe(`matched 12 subscriptions: ${ids.join(', ')}, 2 more`);
  });
});
