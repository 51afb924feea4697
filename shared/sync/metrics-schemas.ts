import { z } from 'zod';
import { accuracySchema } from '../routing/api-schemas';

/** HTTP shapes of `GET /api/v1/sync/metrics` (docs/sync-metrics.md). */

/** The longest period, the dashboard's (its day summaries keep no more). */
export const SYNC_METRICS_MAX_DAYS = 90;

export const syncMetricsQuery = z.strictObject({
  days: z.coerce.number().int().min(1).max(SYNC_METRICS_MAX_DAYS).default(7).meta({
    description: 'Days in the period, today (UTC) included: 1-90, default 7. The same days as the dashboard.',
  }),
});
export type SyncMetricsQuery = z.infer<typeof syncMetricsQuery>;

const rate = (description: string) => z.number().min(0).max(1).nullable().meta({ description });

export const syncMetricsSchema = z
  .object({
    days: z.number().int(),
    from: z.string().meta({ description: 'Start of the first day of the period (UTC midnight).' }),
    to: z.string().meta({ description: 'Now: the end of the period.' }),
    runs: z
      .object({
        total: z.number().int(),
        succeeded: z.number().int(),
        failed: z.number().int(),
        stopped: z.number().int(),
        running: z.number().int(),
      })
      .meta({ description: 'Runs started in the period, by status now.' }),
    successRate: rate('succeeded / (succeeded + failed); stopped and running runs are in neither. Null with none.'),
    averageDurationMs: z
      .number()
      .nullable()
      .meta({ description: 'Mean of finishedAt − startedAt over finished runs (succeeded, failed, stopped).' }),
    records: z
      .object({
        created: z.number().int(),
        updated: z.number().int(),
        skipped: z.number().int(),
        failed: z.number().int(),
        total: z.number().int(),
      })
      .meta({ description: 'Records handled by the finished runs.' }),
    recordsPerSecond: z
      .number()
      .nullable()
      .meta({ description: 'records.total over the summed duration of the finished runs. Null with none.' }),
    dataQualityWarnings: z.number().int().meta({ description: 'Data-quality warnings of the runs, summed.' }),
    errors: z
      .array(z.object({ vendor: z.string(), code: z.string(), count: z.number().int() }))
      .meta({ description: 'Run errors by vendor and error-catalog code, most frequent first.' }),
    byVendor: z.array(
      z.object({
        vendor: z.string(),
        runs: z.number().int(),
        succeeded: z.number().int(),
        failed: z.number().int(),
        successRate: rate('succeeded / (succeeded + failed) of this vendor.'),
      }),
    ),
    webhookDelivery: z
      .object({
        succeeded: z.number().int(),
        failed: z.number().int(),
        rate: rate('succeeded / (succeeded + failed).'),
      })
      .meta({ description: 'Inbound webhook transactions of the same days, from the dashboard counters.' }),
    routingAccuracy: accuracySchema,
  })
  .meta({ id: 'SyncMetrics' });
export type SyncMetricsView = z.infer<typeof syncMetricsSchema>;
