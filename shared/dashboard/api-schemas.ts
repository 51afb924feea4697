import { z } from 'zod';
import { INTEGRATION_TYPES } from '../analytics/counters';
import { MAX_DAYS } from './dashboard';

const integrationType = z.enum(INTEGRATION_TYPES);

export const dashboardQuery = z
  .strictObject({
    days: z.coerce.number().int().min(1).max(MAX_DAYS).default(30).meta({
      description: 'Days in the period, today included (1-90, default 30); the previous period is the N days before.',
    }),
    types: z
      .string()
      .max(200)
      .optional()
      .transform((value, ctx) => {
        if (value === undefined || value === '') return undefined;
        const parts = value.split(',').map((p) => p.trim());
        const bad = parts.filter((p) => !(INTEGRATION_TYPES as readonly string[]).includes(p));
        if (bad.length > 0) {
          ctx.addIssue({ code: 'custom', message: `unknown integration type(s): ${bad.join(', ')}` });
          return z.NEVER;
        }
        return parts as (typeof INTEGRATION_TYPES)[number][];
      })
      .meta({ description: 'Comma-separated integration types the trends are limited to.' }),
  })
  .meta({ id: 'DashboardQuery' });

export const failureDetailQuery = z
  .strictObject({ days: z.coerce.number().int().min(1).max(MAX_DAYS).default(30) })
  .meta({ id: 'DashboardFailureQuery' });

export const failureParams = z.strictObject({ id: z.string().min(1).max(400) });

const tally = {
  succeeded: z.number().int(),
  failed: z.number().int(),
  filtered: z.number().int().meta({ description: 'Inbound events an ingest filter dropped (not failures).' }),
};
const tile = z.object({
  ...tally,
  succeededChangePct: z.number().nullable(),
  failedChangePct: z.number().nullable(),
});
const byTypeCounts = z.object(
  Object.fromEntries(INTEGRATION_TYPES.map((t) => [t, z.number().int()])) as Record<
    (typeof INTEGRATION_TYPES)[number],
    z.ZodNumber
  >,
);

const controlFields = {
  held: z.number().int().meta({ description: 'Outbound deliveries held because their subscription was paused.' }),
  throttled: z
    .number()
    .int()
    .meta({ description: "Outbound sends that waited for their subscription's rate limit or a 429 slowdown." }),
  inboundHeld: z.number().int().meta({ description: 'Inbound events held because their webhook was paused.' }),
};

const failureRowFields = {
  id: z.string(),
  type: integrationType,
  integrationId: z.string(),
  integrationName: z.string(),
  code: z.string().meta({ description: 'HTTP status or platform code, as counted.' }),
  label: z.string(),
  catalogCode: z
    .string()
    .meta({ description: 'The error catalog entry that explains the code (its class when not listed).' }),
  description: z.string(),
  services: z.array(z.string()).meta({ description: 'Stages or tools where it occurred, newest first.' }),
  flows: z.array(z.string()).meta({ description: 'SOP ids where it occurred, newest first.' }),
  totalErrors: z.number().int(),
  lastSeen: z.string(),
};

export const dashboardSchema = z
  .object({
    days: z.number().int(),
    from: z.string(),
    to: z.string(),
    previousFrom: z.string(),
    previousTo: z.string(),
    totals: tile,
    byType: z.array(tile.extend({ type: integrationType })),
    errorsByCode: z.array(
      z.object({
        code: z.string(),
        label: z.string(),
        catalogCode: z.string(),
        count: z.number().int(),
        byType: byTypeCounts,
      }),
    ),
    trends: z.array(z.object({ date: z.string(), type: integrationType, ...tally })),
    failures: z.array(z.object({ ...failureRowFields, link: z.string() })),
    controls: z.object(controlFields).meta({
      description:
        'Work the controls kept waiting in the period (not transactions): deliveries held by paused subscriptions, sends that waited for a rate limit or a 429, inbound events held by paused webhooks.',
    }),
    controlTrends: z.array(z.object({ date: z.string(), ...controlFields })),
  })
  .meta({ id: 'Dashboard' });

export const failureDetailSchema = z
  .object({
    ...failureRowFields,
    firstSeen: z.string(),
    remediation: z.string(),
    examples: z.array(z.object({ kind: z.string(), id: z.string(), at: z.string(), link: z.string().nullable() })),
    links: z.object({
      integration: z.string().nullable(),
      flows: z.array(z.object({ sopId: z.string(), link: z.string() })),
      catalog: z.string(),
    }),
  })
  .meta({ id: 'DashboardFailure' });
