import { z } from 'zod';
import { apiInstant } from '../validation/instant';
import { description } from '../validation/text';
import { VENDOR_IDS } from '../vendors/contract';
import { MAX_BULK_RETRY } from './bulk-retry';
import { EVENT_TYPE_PATTERNS, eventTypePatternSchema, eventTypeSchema } from './event-types';
import { MAX_RATE_LIMIT_PER_SECOND, MAX_ROTATION_OVERLAP_HOURS } from './subscriptions';
import { ATTEMPT_TRIGGERS, DELIVERY_STATUSES } from './tables';

const newestFirstIdPattern = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const idParams = z.strictObject({ id: z.string().regex(newestFirstIdPattern, 'not a valid id') });

/**
 * Headers a subscription may not set: hop-by-hop and framing headers (the HTTP client owns them),
 * credentials-shaped overrides, and the signature and event headers the hub itself sends.
 */
const FORBIDDEN_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'expect',
  'authorization',
  'cookie',
  'user-agent',
]);
const OWN_HEADER_PREFIXES = ['webhook-', 'x-webhook-'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
// Tab and printable ISO-8859-1 only: a header value is bytes on the wire, and the HTTP client refuses
// anything else (a character above U+00FF) at delivery time, so such a value would fail every attempt.
const HEADER_VALUE = /^[\t\u0020-\u007e\u00a0-\u00ff]{0,1024}$/;

export function headerProblem(name: string, value: string): string | undefined {
  const lower = name.toLowerCase();
  if (!HEADER_NAME.test(name)) return 'is not a valid header name';
  if (FORBIDDEN_HEADERS.has(lower)) return 'is set by the hub or the HTTP client and cannot be overridden';
  if (OWN_HEADER_PREFIXES.some((p) => lower.startsWith(p))) return 'is a signature or event header the hub sends';
  if (!HEADER_VALUE.test(value)) {
    return 'value must be at most 1024 printable ISO-8859-1 characters (no control characters)';
  }
  return undefined;
}

export const customHeadersSchema = z
  .record(z.string(), z.string())
  .check((ctx) => {
    const entries = Object.entries(ctx.value);
    if (entries.length > 20) ctx.issues.push({ code: 'custom', message: 'at most 20 headers', input: ctx.value });
    const seen = new Set<string>();
    for (const [name, value] of entries) {
      const problem = headerProblem(name, value);
      if (problem) ctx.issues.push({ code: 'custom', message: `${name} ${problem}`, input: ctx.value, path: [name] });
      if (seen.has(name.toLowerCase())) {
        ctx.issues.push({ code: 'custom', message: `${name} is given twice`, input: ctx.value, path: [name] });
      }
      seen.add(name.toLowerCase());
    }
  })
  .meta({ description: 'Extra request headers (no hop-by-hop, auth or signature headers), at most 20.' });

const urlField = z
  .url()
  .max(2048)
  .meta({ description: 'Where deliveries are POSTed; https in production (checked by the SSRF guard).' });
const eventTypesField = z
  .array(eventTypePatternSchema)
  .min(1)
  .max(EVENT_TYPE_PATTERNS.length)
  .meta({ description: `Event types or wildcards: ${EVENT_TYPE_PATTERNS.join(', ')}.` });
const productsField = z
  .array(z.enum([...VENDOR_IDS, 'admin']))
  .max(VENDOR_IDS.length + 1)
  .meta({ description: 'Only events from these sources (vendor ids, `admin`); empty or absent = all.' });

const rateLimitField = z
  .number()
  .int()
  .min(1)
  .max(MAX_RATE_LIMIT_PER_SECOND)
  .meta({ description: 'Deliveries per second this endpoint takes; more wait their turn (null: no limit).' });

export const createSubscriptionBody = z
  .strictObject({
    url: urlField,
    eventTypes: eventTypesField,
    products: productsField.optional(),
    description: description.optional(),
    headers: customHeadersSchema.optional(),
    enabled: z.boolean().optional(),
    rateLimitPerSecond: rateLimitField.optional(),
  })
  .meta({ id: 'CreateSubscription' });

export const updateSubscriptionBody = z
  .strictObject({
    url: urlField.optional(),
    eventTypes: eventTypesField.optional(),
    products: productsField.optional(),
    description: description.optional(),
    headers: customHeadersSchema.optional(),
    enabled: z.boolean().optional(),
    rateLimitPerSecond: rateLimitField.nullable().optional(),
  })
  .meta({ id: 'UpdateSubscription' });

export const rotateSecretBody = z
  .strictObject({
    overlapHours: z
      .number()
      .min(0)
      .max(MAX_ROTATION_OVERLAP_HOURS)
      .default(MAX_ROTATION_OVERLAP_HOURS)
      .meta({ description: 'How long the previous secret keeps signing (both signatures are sent), 0-24 h.' }),
  })
  .meta({ id: 'RotateSubscriptionSecret' });

const healthSchema = z.object({
  attempts: z.number().int(),
  successes: z.number().int(),
  successRate: z.number().nullable(),
  consecutiveFailures: z.number().int(),
  lastSuccessAt: z.string().nullable(),
  lastFailureAt: z.string().nullable(),
  failingSince: z.string().nullable(),
  held: z.number().int().meta({ description: 'Deliveries held by a pause over the last 7 days.' }),
  throttled: z
    .number()
    .int()
    .meta({ description: 'Sends that waited for the rate limit or a receiver 429 over the last 7 days.' }),
});

export const subscriptionSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    products: z.array(z.string()),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    disabledAt: z.string().nullable(),
    paused: z.boolean(),
    pausedAt: z.string().nullable(),
    rateLimitPerSecond: z.number().int().nullable(),
    slowUntil: z
      .string()
      .nullable()
      .meta({ description: 'Until when the endpoint asked (429 Retry-After) for nothing to be sent.' }),
    release: z
      .object({
        state: z.enum(['running', 'done', 'interrupted']),
        released: z.number().int(),
        succeeded: z.number().int(),
        startedAt: z.string(),
        finishedAt: z.string().nullable(),
      })
      .nullable()
      .meta({ description: 'The last release of held deliveries after a resume, with its progress.' }),
    description: z.string(),
    headers: z.record(z.string(), z.string()),
    previousSecretExpiresAt: z.string().nullable(),
    secretRotatedAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    createdBy: z.string(),
    health: healthSchema,
  })
  .meta({ id: 'Subscription' });

export const createdSubscriptionSchema = subscriptionSchema
  .extend({ secret: z.string().meta({ description: 'The signing secret `whsec_…`. Shown only in this response.' }) })
  .meta({ id: 'CreatedSubscription' });

export const subscriptionListSchema = z
  .object({ items: z.array(subscriptionSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'SubscriptionList' });

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(4096).optional(),
});

export const eventTypeListSchema = z
  .object({
    items: z.array(
      z.object({
        type: z.string(),
        description: z.string(),
        schema: z.record(z.string(), z.unknown()),
        example: z.record(z.string(), z.unknown()),
      }),
    ),
  })
  .meta({ id: 'EventTypeList' });

export const publishBody = z
  .strictObject({ type: eventTypeSchema, data: z.record(z.string(), z.unknown()) })
  .meta({ id: 'PublishEvent' });

export const publishedSchema = z
  .object({ eventId: z.string(), deliveries: z.number().int(), skipped: z.number().int(), held: z.number().int() })
  .meta({ id: 'PublishedEvent' });

const attemptSchema = z.object({
  n: z.number().int(),
  at: z.string(),
  trigger: z.enum(ATTEMPT_TRIGGERS),
  statusCode: z.number().int().nullable(),
  code: z.string().meta({
    description: 'The HTTP status, or why no answer came: timeout, dns, tls, refused, reset, ssrf_blocked, network.',
  }),
  catalogCode: z.string().nullable().meta({
    description: 'The error catalog entry explaining `code` (its class when not listed); null for a 2xx.',
  }),
  durationMs: z.number().int(),
  error: z.string().optional(),
  responseExcerpt: z.string().optional().meta({ description: 'At most 4 KiB of the response body.' }),
  nextAttemptAt: z.string().optional(),
});

export const deliverySchema = z
  .object({
    id: z.string(),
    subscriptionId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    statusReason: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    attemptCount: z.number().int(),
    automaticAttempts: z.number().int(),
    throttled: z
      .number()
      .int()
      .optional()
      .meta({ description: 'Times the first attempt waited its turn (rate limit or 429).' }),
    nextAttemptAt: z.string().optional(),
    attempts: z.array(attemptSchema).optional().meta({ description: 'Every attempt (GET …/deliveries/{id}).' }),
    lastAttempt: attemptSchema.omit({ responseExcerpt: true }).nullable().optional().meta({
      description: 'In lists: the latest attempt (status code, time, error, next attempt), or null before the first.',
    }),
  })
  .meta({ id: 'Delivery' });

export const deliveryListSchema = z
  .object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'DeliveryList' });

export const deliveryQuery = pageQuery.extend({
  subscriptionId: z.string().regex(newestFirstIdPattern).optional(),
  eventType: eventTypeSchema.optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  from: apiInstant.optional(),
  to: apiInstant.optional(),
});

export const manualAttemptSchema = z
  .object({ attempt: attemptSchema, status: z.enum(DELIVERY_STATUSES) })
  .meta({ id: 'ManualAttempt' });

export const bulkRetryBody = z
  .strictObject({
    subscriptionId: z.string().regex(newestFirstIdPattern),
    from: apiInstant,
    to: apiInstant,
    limit: z.number().int().min(1).max(MAX_BULK_RETRY).default(MAX_BULK_RETRY),
    cursor: z.string().min(1).max(4096).optional(),
  })
  .meta({ id: 'BulkRetry' });

export const bulkRetrySchema = z
  .object({
    attempted: z.number().int(),
    succeeded: z.number().int(),
    stillFailing: z.number().int(),
    busy: z.number().int(),
    deliveryIds: z.array(z.string()),
    nextCursor: z.string().nullable(),
    throttledUntil: z.string().nullable().meta({
      description:
        "Set when the subscription's rate limit or a receiver's 429 stopped the call: call again with nextCursor then.",
    }),
  })
  .meta({ id: 'BulkRetryResult' });

export const recoverBody = z
  .strictObject({
    since: apiInstant.meta({ description: 'Deliveries created at or after this instant.' }),
    until: apiInstant.optional().meta({ description: 'Deliveries created at or before this instant (default: now).' }),
  })
  .meta({ id: 'RecoverSubscription' });

export const recoverSchema = z
  .object({
    id: z.string(),
    subscriptionId: z.string(),
    state: z.enum(['running', 'done', 'interrupted']),
    since: z.string(),
    until: z.string(),
    resent: z.number().int(),
    succeeded: z.number().int(),
    skipped: z.number().int(),
    startedAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'Recover' });
