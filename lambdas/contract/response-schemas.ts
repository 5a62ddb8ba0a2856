import * as z from 'zod/mini';
import { deliveryStatusSchema } from './request-schemas';
import '../core/zod-english';

/**
 * The bodies the public API answers with, for the OpenAPI document (lambdas/contract/openapi.ts), the
 * CLI's types and the tests that hold the handlers to them (lambdas/api/views.ts and the routes
 * build the bodies themselves). No function bundles this module (the handlers import only its
 * types): `z.meta()` adds the descriptions and examples the document shows, and never changes what
 * a schema accepts.
 */

/** A whole number of things, 0 or more, described for the OpenAPI document. */
const countSchema = (description: string) => z.number().check(z.int(), z.minimum(0), z.meta({ description }));

/** Values the examples of the document share, so that they tell one consistent story. */
export const API_EXAMPLES = {
  eventId: 'evt_01JNP8X3K5N2B7C4D9M6Q0R1ST',
  subscriptionId: 'sub_01JNP7YV0A4H6T8W2E5R7Y9QZB',
  replayId: 'run_01JNPA2B6S2D4F6G8H0J2K4M6N',
  recoveryId: 'run_01JNPB3C7T3E5G7J9K1M3N5P7Q',
  secret: 'whsec_ZXhhbXBsZS1zaWduaW5nLXNlY3JldC0zMi1ieXRlcyE=', // base64 of "example-signing-secret-32-bytes!"
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:30:00.000Z',
  url: 'https://hooks.example.com/orders',
  consumerId: 'cus_acme',
} as const;

/** A timestamp as the API writes it: ISO 8601 in UTC (`Date.prototype.toISOString`). */
const timestampSchema = z.string().check(z.meta({ format: 'date-time' }));

export const publishEventResponseSchema = z
  .object({
    id: z.string().check(z.meta({ description: 'The event id, `evt_<ULID>`.', examples: [API_EXAMPLES.eventId] })),
    type: z.string(),
    createdAt: timestampSchema,
    broadcast: z.optional(z.literal(true)).check(
      z.meta({
        description:
          "Present for a broadcast (`broadcast: true` in the request): fan-out delivers it later to the tenant's own subscriptions and every consumer's, so the answer has no `matched`.",
      }),
    ),
    matched: z
      .optional(
        z.object({
          count: countSchema('How many subscriptions the event goes to.'),
          subscriptionIds: z.array(z.string()).check(z.meta({ description: 'The first 10 of them, in id order.' })),
        }),
      )
      .check(
        z.meta({
          description:
            'Present when the event was fanned out before the answer (ingest does so for an owner with few subscriptions, and for an event published to one subscription): the subscriptions whose event types and filter it matched. Absent when fan-out happens later, and in the answer to a repeat.',
        }),
      ),
  })
  .check(
    z.meta({
      description: 'The event was stored and handed to fan-out. A repeat with the same Idempotency-Key answers this body again (without `matched`).',
      examples: [{ id: API_EXAMPLES.eventId, type: 'order.created', createdAt: API_EXAMPLES.createdAt, matched: { count: 1, subscriptionIds: [API_EXAMPLES.subscriptionId] } }],
    }),
  );
export type PublishEventResponse = z.infer<typeof publishEventResponseSchema>;

export const circuitResponseSchema = z
  .object({
    state: z.enum(['closed', 'open']).check(
      z.meta({ description: '`open`: the endpoint stopped answering and is not called; its deliveries wait, spending no attempts, while one probe at a time tests it.' }),
    ),
    since: z.optional(timestampSchema).check(z.meta({ description: 'When the circuit opened; only while `open`.' })),
    consecutiveFailures: countSchema('Attempts in a row that got no answer (timeout, refused or reset connection, DNS, TLS).'),
    lastError: z.optional(z.string()).check(z.meta({ description: 'The last attempt that got no answer, and why.' })),
    lastFailureAt: z.optional(timestampSchema),
    nextProbeAt: z.optional(timestampSchema).check(z.meta({ description: 'When the endpoint will be tried again; only while `open`.' })),
  })
  .check(
    z.meta({
      description:
        "The endpoint's circuit breaker. It opens after a number of attempts in a row without an answer (5 by default) and closes at the first answer.",
    }),
  );

export const subscriptionResponseSchema = z
  .object({
    id: z.string().check(z.meta({ description: 'The subscription id, `sub_<ULID>`.', examples: [API_EXAMPLES.subscriptionId] })),
    consumerId: z.optional(z.string()).check(z.meta({ description: "The consumer it belongs to; absent for the tenant's own subscriptions." })),
    url: z.string(),
    eventTypes: z.array(z.string()),
    filter: z.optional(z.record(z.string(), z.unknown())).check(
      z.meta({ description: 'The payload filter, an EventBridge event pattern; absent when every event of its types is delivered.' }),
    ),
    description: z.optional(z.string()),
    headers: z.record(z.string(), z.string()),
    rateLimitPerSecond: z.optional(z.number()),
    transformation: z.optional(z.string()).check(z.meta({ description: 'The JSONata expression that shapes the body this endpoint receives (docs/transformations.md).' })),
    enabled: z.boolean(),
    disabledReason: z.optional(z.string()).check(
      z.meta({
        description:
          'Why it is disabled: "disabled_by_user", "endpoint_gone" (the receiver answered 410), "failing_too_long", or "consumer_disabled" (with all of its consumer\'s, `POST /v1/consumers/{consumerId}/disable`).',
      }),
    ),
    disabledAt: z.optional(timestampSchema),
    /** Since when every attempt has failed; absent while the endpoint is healthy. */
    failingSince: z.optional(timestampSchema).check(z.meta({ description: 'Since when every attempt has failed; absent while the endpoint is healthy.' })),
    circuit: circuitResponseSchema,
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    /** Present only in the answers to create and rotate-secret. */
    secret: z.optional(z.string()).check(
      z.meta({
        description: 'The signing secret (`whsec_...`). Present only in the answers to create and rotate-secret.',
        examples: [API_EXAMPLES.secret],
      }),
    ),
  })
  .check(
    z.meta({
      description: 'A subscription as clients see it: never its secrets, except in the answer that made one.',
      examples: [
        {
          id: API_EXAMPLES.subscriptionId,
          url: API_EXAMPLES.url,
          eventTypes: ['order.*'],
          description: 'Order service',
          headers: { 'x-team': 'billing' },
          enabled: true,
          circuit: { state: 'closed', consecutiveFailures: 0 },
          createdAt: API_EXAMPLES.createdAt,
          updatedAt: API_EXAMPLES.updatedAt,
        },
      ],
    }),
  );
export type SubscriptionResponse = z.infer<typeof subscriptionResponseSchema>;

export const consumerResponseSchema = z
  .object({
    id: z.string().check(z.meta({ description: 'The id the tenant chose.', examples: [API_EXAMPLES.consumerId] })),
    name: z.optional(z.string()),
    metadata: z.record(z.string(), z.string()).check(z.meta({ description: 'As last put; `{}` when none was given.' })),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .check(
    z.meta({
      description: "One of the tenant's customers: it owns subscriptions of its own, which receive only the events published to it.",
      examples: [
        { id: API_EXAMPLES.consumerId, name: 'Acme Corp', metadata: { plan: 'pro' }, createdAt: API_EXAMPLES.createdAt, updatedAt: API_EXAMPLES.updatedAt },
      ],
    }),
  );
export type ConsumerResponse = z.infer<typeof consumerResponseSchema>;

export const consumerDeletedResponseSchema = z
  .object({
    deleted: z.literal(true),
    subscriptionsDeleted: countSchema("How many of the consumer's subscriptions were deleted with it."),
  })
  .check(z.meta({ description: 'The consumer and its subscriptions are gone.', examples: [{ deleted: true, subscriptionsDeleted: 2 }] }));

const disabledForOtherReasonsSchema = countSchema(
  'How many of its subscriptions are disabled for another reason (by their endpoint, `endpoint_gone` or `failing_too_long`, or one by one, `disabled_by_user`): ' +
    'neither a consumer disable nor enable changes them; `PATCH /v1/subscriptions/{id}` `{"enabled": true}` re-enables one.',
)

export const consumerDisabledResponseSchema = z
  .object({
    subscriptionsDisabled: countSchema('How many enabled subscriptions this call disabled (`disabledReason: consumer_disabled`); 0 when it was done already.'),
    subscriptionsDisabledForOtherReasons: disabledForOtherReasonsSchema,
  })
  .check(
    z.meta({
      description: "The consumer's subscriptions are disabled: events published to it are delivered to none until it is enabled.",
      examples: [{ subscriptionsDisabled: 3, subscriptionsDisabledForOtherReasons: 1 }],
    }),
  );
export type ConsumerDisabledResponse = z.infer<typeof consumerDisabledResponseSchema>;

export const consumerEnabledResponseSchema = z
  .object({
    subscriptionsEnabled: countSchema('How many subscriptions a consumer disable had disabled this call enabled again; 0 when none was.'),
    subscriptionsDisabledForOtherReasons: disabledForOtherReasonsSchema,
  })
  .check(
    z.meta({
      description: "The consumer's subscriptions a consumer disable had disabled are enabled again; the ones counted in `subscriptionsDisabledForOtherReasons` stay disabled.",
      examples: [{ subscriptionsEnabled: 3, subscriptionsDisabledForOtherReasons: 1 }],
    }),
  );
export type ConsumerEnabledResponse = z.infer<typeof consumerEnabledResponseSchema>;

const pageCursorSchema = z.string().check(z.meta({ description: 'Pass as `?cursor=` for the next page; absent on the last page.' }));

export const subscriptionListResponseSchema = z.object({ items: z.array(subscriptionResponseSchema), cursor: z.optional(pageCursorSchema) }).check(
  z.meta({
    description: 'A page of subscriptions, oldest first.',
    examples: [
      {
        items: [
          {
            id: API_EXAMPLES.subscriptionId,
            url: API_EXAMPLES.url,
            eventTypes: ['order.*'],
            headers: {},
            enabled: true,
            circuit: { state: 'closed', consecutiveFailures: 0 },
            createdAt: API_EXAMPLES.createdAt,
            updatedAt: API_EXAMPLES.createdAt,
          },
        ],
        cursor: 'c3ViXzAxSk5QN1lWMEE0SDZUOFcyRTVSN1k5UVpC',
      },
    ],
  }),
);

export type SubscriptionListResponse = z.infer<typeof subscriptionListResponseSchema>;

export const consumerListResponseSchema = z.object({ items: z.array(consumerResponseSchema), cursor: z.optional(pageCursorSchema) }).check(
  z.meta({
    description: 'A page of consumers, in id order.',
    examples: [{ items: [{ id: API_EXAMPLES.consumerId, name: 'Acme Corp', metadata: {}, createdAt: API_EXAMPLES.createdAt, updatedAt: API_EXAMPLES.createdAt }] }],
  }),
);

export const attemptLogSchema = z.object({
  attempt: z.number().check(z.int(), z.minimum(1), z.meta({ description: 'Attempt number in this run, from 1.' })),
  at: timestampSchema,
  outcome: z.enum(['delivered', 'failed']),
  statusCode: z
    .optional(z.number().check(z.int(), z.minimum(100), z.maximum(599)))
    .check(z.meta({ description: "The receiver's HTTP status, when it answered." })),
  durationMs: z.number().check(z.minimum(0)),
  requestSent: z.optional(z.boolean()).check(
    z.meta({
      description:
        'Whether the request was written to an open connection, so the receiver may have read it; false when no connection was made (DNS, refused, connect timeout, TLS). Each attempt is one request or none.',
    }),
  ),
  reason: z.optional(z.string()).check(
    z.meta({
      description:
        'Why it failed: redirect, client_error, server_error, throttled, gone, timeout, connection, dns, tls, blocked_target or invalid_target.',
    }),
  ),
  error: z.optional(z.string()).check(z.meta({ description: 'The transport error, when the receiver did not answer.' })),
  responseSnippet: z.optional(z.string()).check(z.meta({ description: 'The first bytes of a failed response.' })),
  nextAttemptAt: z.optional(timestampSchema),
});

export const deliveryResponseSchema = z
  .object({
    eventId: z.string(),
    subscriptionId: z.string(),
    eventType: z.string(),
    status: deliveryStatusSchema,
    attempts: countSchema('Attempts made in the current run (a replay or recovery starts a new run).'),
    lastAttemptAt: z.optional(timestampSchema),
    nextAttemptAt: z.optional(timestampSchema).check(z.meta({ description: 'When the next attempt is due; only while `retrying`.' })),
    attemptLog: z.array(attemptLogSchema).check(z.meta({ description: 'The most recent attempts, oldest first, at most 20.' })),
    reason: z.optional(z.enum(['cancelled_by_transformation', 'transformation_failed'])).check(
      z.meta({
        description:
          "Why the delivery ended without an attempt: the subscription's transformation evaluated to nothing (`skipped`) or failed (`exhausted`, never retried).",
      }),
    ),
    error: z.optional(z.string()).check(z.meta({ description: 'With `transformation_failed`: the guard it exceeded or the error it raised.' })),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .check(
    z.meta({
      description: 'The delivery record of one event to one subscription.',
      examples: [
        {
          eventId: API_EXAMPLES.eventId,
          subscriptionId: API_EXAMPLES.subscriptionId,
          eventType: 'order.created',
          status: 'retrying',
          attempts: 1,
          lastAttemptAt: '2026-03-01T12:00:01.000Z',
          nextAttemptAt: '2026-03-01T12:00:31.000Z',
          attemptLog: [
            {
              attempt: 1,
              at: '2026-03-01T12:00:01.000Z',
              outcome: 'failed',
              statusCode: 503,
              durationMs: 84,
              requestSent: true,
              reason: 'throttled',
              responseSnippet: 'upstream unavailable',
              nextAttemptAt: '2026-03-01T12:00:31.000Z',
            },
          ],
          createdAt: '2026-03-01T12:00:01.000Z',
          updatedAt: '2026-03-01T12:00:01.000Z',
        },
      ],
    }),
  );

export const deliveryListResponseSchema = z.object({ items: z.array(deliveryResponseSchema), cursor: z.optional(pageCursorSchema) }).check(
  z.meta({
    description: 'A page of delivery records.',
    examples: [
      {
        items: [
          {
            eventId: API_EXAMPLES.eventId,
            subscriptionId: API_EXAMPLES.subscriptionId,
            eventType: 'order.created',
            status: 'delivered',
            attempts: 1,
            lastAttemptAt: '2026-03-01T12:00:01.000Z',
            attemptLog: [{ attempt: 1, at: '2026-03-01T12:00:01.000Z', outcome: 'delivered', statusCode: 200, durationMs: 42, requestSent: true }],
            createdAt: '2026-03-01T12:00:01.000Z',
            updatedAt: '2026-03-01T12:00:01.000Z',
          },
        ],
      },
    ],
  }),
);

const deliveryCount = z.optional(z.number().check(z.int(), z.minimum(1)));

export const eventResponseSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    consumerId: z.optional(z.string()).check(z.meta({ description: 'The consumer it was published to, if any.' })),
    subscriptionId: z.optional(z.string()).check(z.meta({ description: 'The one subscription it was published to, if any.' })),
    broadcast: z.optional(z.literal(true)).check(
      z.meta({ description: "Present when it was broadcast: to the tenant's own subscriptions and every consumer's. A replay broadcasts it again." }),
    ),
    createdAt: timestampSchema,
    data: z.unknown().check(z.meta({ description: 'The payload as published: the exact JSON text the event was sent with.' })),
    deliveries: z
      .object({
        pending: deliveryCount,
        delivered: deliveryCount,
        retrying: deliveryCount,
        exhausted: deliveryCount,
        skipped: deliveryCount,
        complete: z.boolean().check(
          z.meta({
            description:
              "False when the event's owner (the tenant, or its consumer) has more than 1000 subscriptions and only the first were counted, " +
              "and for a broadcast, whose count is of the tenant's own subscriptions only (a consumer's deliveries are in each subscription's delivery log).",
          }),
        ),
      })
      .check(z.meta({ description: 'How many delivery records of the event are in each status; a status with none is left out.' })),
  })
  .check(
    z.meta({
      description: 'An event and a count of its deliveries by status.',
      examples: [
        {
          id: API_EXAMPLES.eventId,
          type: 'order.created',
          createdAt: API_EXAMPLES.createdAt,
          data: { orderId: 'ord_1042', total: 129.5, currency: 'EUR' },
          deliveries: { delivered: 2, retrying: 1, complete: true },
        },
      ],
    }),
  );

export const replayResponseSchema = z
  .object({
    eventId: z.string(),
    replayId: z.string().check(z.meta({ description: 'Names this replay (`run_<ULID>`); deliveries of it start a new run.' })),
    subscriptionId: z.optional(z.string()),
    broadcast: z.optional(z.literal(true)).check(
      z.meta({ description: "Present when a broadcast is replayed whole: to the tenant's own subscriptions and every consumer's again." }),
    ),
  })
  .check(
    z.meta({
      description: 'The replay was handed to fan-out.',
      examples: [{ eventId: API_EXAMPLES.eventId, replayId: API_EXAMPLES.replayId, subscriptionId: API_EXAMPLES.subscriptionId }],
    }),
  );

export const recoverResponseSchema = z
  .object({
    subscriptionId: z.string(),
    recoveryId: z.string().check(z.meta({ description: 'Names this recovery (`run_<ULID>`).' })),
    since: z.string().check(z.meta({ format: 'date-time', description: 'As given.' })),
    until: timestampSchema.check(z.meta({ description: 'As given, or the time of the request.' })),
  })
  .check(
    z.meta({
      description: 'The recovery was handed to fan-out, which re-sends the exhausted deliveries of the window.',
      examples: [
        {
          subscriptionId: API_EXAMPLES.subscriptionId,
          recoveryId: API_EXAMPLES.recoveryId,
          since: '2026-03-01T00:00:00Z',
          until: '2026-03-01T06:00:00.000Z',
        },
      ],
    }),
  );

export const healthResponseSchema = z.object({ status: z.literal('ok') }).check(z.meta({ examples: [{ status: 'ok' }] }));

export const transformResponseSchema = z
  .object({
    cancelled: z.boolean().check(z.meta({ description: 'true: the transformation evaluated to nothing, so the delivery would be skipped and nothing sent.' })),
    body: z.optional(z.unknown()).check(
      z.meta({ description: 'The body the endpoint would receive, exactly as it would be sent (and signed); absent when cancelled.' }),
    ),
  })
  .check(
    z.meta({
      description: 'What an endpoint would receive for the event. Nothing is stored or sent.',
      examples: [{ cancelled: false, body: { orderId: 'ord_1042', total: 129.5 } }],
    }),
  );

export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().check(z.meta({ description: 'A stable snake_case code to branch on.', examples: ['validation_failed'] })),
      message: z.string().check(z.meta({ description: 'A sentence for people; may change.' })),
      position: z.optional(z.number().check(z.int(), z.minimum(0))).check(
        z.meta({ description: 'With `invalid_transformation` only: the character of the expression the error points at.' }),
      ),
      path: z.optional(z.string()).check(
        z.meta({ description: 'With `invalid_filter`: where in the request the filter is wrong.', examples: ['filter.data.amount[0].numeric'] }),
      ),
    }),
  })
  .check(
    z.meta({
      description: "Every error the functions answer (API Gateway's own 429 aside).",
      examples: [{ error: { code: 'validation_failed', message: 'the request body is invalid: eventTypes: Too small: expected array to have >=1 items' } }],
    }),
  );
