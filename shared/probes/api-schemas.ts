import { z } from 'zod';
import { connectionStateSchema, expirySchema, quotaSchema } from '../integrations/api-schemas';
import { waitSeconds } from '../validation/wait';

/** HTTP shapes of the integration status page, the probe history and the recheck button. */
export const integrationStatusSchema = z
  .object({
    integrationId: z.string(),
    vendor: z.string(),
    name: z.string(),
    state: connectionStateSchema,
    lastCheckAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    lastError: z
      .object({
        status: z.number().int().nullable(),
        vendorMessage: z.string().nullable().meta({ description: "The vendor's own message, verbatim." }),
        hint: z.string().nullable(),
        reason: z.string(),
        catalogCode: z.string().meta({
          description:
            "The error catalog entry (GET /api/v1/error-catalog/{code}) for the vendor's status, else the reason; its class when not listed.",
        }),
      })
      .nullable(),
    latencyMs: z.number().int().nullable(),
    quota: quotaSchema.nullable(),
    expiries: z.array(expirySchema),
    flapping: z.boolean().meta({ description: 'The state changed three or more times in the last hour.' }),
    nextCheckAt: z.string(),
    retryAt: z.string().nullable().meta({ description: 'When a retry inside the current probe run is due.' }),
    reconcile: z
      .object({
        checkedAt: z.string(),
        missingAtVendor: z.number().int(),
        drifted: z.number().int(),
        unknownToUs: z.number().int(),
        error: z.string().nullable().meta({ description: 'Why the last weekly run could not read the vendor.' }),
      })
      .nullable()
      .meta({
        description:
          'The last weekly reconcile with the vendor (docs/reconcile.md): registrations missing at the vendor or drifted there; null before the first run or for vendors with nothing to reconcile.',
      }),
    webhookNotices: z
      .array(
        z.object({
          webhookId: z.string(),
          vendor: z.string(),
          problem: z.enum(['deactivated', 'removed', 'missed']),
          at: z.string(),
          count: z.number().int().optional(),
        }),
      )
      .meta({
        description:
          'Pushed webhooks of this integration the vendor turned off (Autotask deactivation), removed (Graph) or could not deliver to (Graph missed); the probe can be connected meanwhile.',
      }),
    warnings: z.array(z.object({ code: z.enum(['expiry_unknown']), field: z.string(), hint: z.string() })).meta({
      description:
        'Standing problems the probe cannot see: `expiry_unknown` for a Datto RMM / Datto EDR integration saved without its key expiry (the vendor does not report it), with the config field to fill in.',
    }),
  })
  .meta({ id: 'IntegrationStatus' });

export const statusReportSchema = z
  .object({
    summary: z.object({
      connected: z.number().int(),
      disconnected: z.number().int(),
      needs_attention: z.number().int(),
      checking: z.number().int(),
      unknown: z.number().int(),
    }),
    items: z.array(integrationStatusSchema),
  })
  .meta({ id: 'IntegrationStatusReport' });

export const probeHistoryPageSchema = z
  .object({
    integrationId: z.string(),
    hours: z.number().int(),
    uptime: z.number().nullable().meta({ description: 'Share of probes that found the integration connected.' }),
    items: z.array(
      z.object({
        at: z.string(),
        state: z.string(),
        latencyMs: z.number().int(),
        attempts: z.number().int(),
        vendorStatus: z.number().int().nullable(),
        reason: z.string(),
        catalogCode: z
          .string()
          .nullable()
          .meta({ description: 'The error catalog entry of a failed probe; null when the probe found it fine.' }),
        vendorMessage: z.string().nullable(),
        trigger: z.string(),
      }),
    ),
  })
  .meta({ id: 'IntegrationHealthHistory' });

export const recheckSchema = z
  .object({
    integrationId: z.string(),
    runId: z.string(),
    settled: z.boolean().optional().meta({ description: 'With `wait`: whether the probe finished within the wait.' }),
    status: integrationStatusSchema.optional().meta({ description: 'With `wait`: the status after the wait.' }),
  })
  .meta({ id: 'RecheckAccepted' });

export const recheckQuery = z.strictObject({
  wait: waitSeconds.meta({
    description:
      "Seconds (0–20) to wait for the probe's verdict before answering: 200 with `settled: true` and the status, or 202 with `settled: false` when the run is still going (retries with backoff can take longer).",
  }),
});

export const probeHistoryQuery = z.strictObject({
  hours: z.coerce.number().int().min(1).max(24).default(24),
});
