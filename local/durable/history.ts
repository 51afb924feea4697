import { z } from 'zod';

/**
 * Orchestration history events in the wire shape the durable-functions replay engine reads
 * (PascalCase, numeric EventType — node_modules/durable-functions/lib/src/history/*). The engine
 * keys completions by sequence id: TaskCompleted/TaskFailed.TaskScheduledId and TimerFired.TimerId
 * must equal the id it gave the task; EventRaised is matched by Name. TaskScheduled/TimerCreated
 * are not read by the replay engine but kept, as in the real history, for status and dedupe.
 */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export const EVENT_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([name, value]) => [value, name]),
);

const base = {
  EventId: z.number().int(),
  IsPlayed: z.boolean(),
  /** ISO 8601; the replay engine turns it into a Date itself. */
  Timestamp: z.string(),
};

const failureDetails = z
  .object({
    ErrorType: z.string(),
    ErrorMessage: z.string(),
    StackTrace: z.string().optional(),
    IsNonRetriable: z.boolean().optional(),
    Properties: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type FailureDetails = z.infer<typeof failureDetails>;

export const historyEventSchema = z.discriminatedUnion('EventType', [
  z.object({
    ...base,
    EventType: z.literal(EventType.ExecutionStarted),
    Name: z.string(),
    Input: z.string().optional(),
    Version: z.string(),
  }),
  z.object({
    ...base,
    EventType: z.literal(EventType.ExecutionCompleted),
    OrchestrationStatus: z.enum(['Completed', 'Failed']),
    Result: z.string().optional(),
    FailureDetails: failureDetails.optional(),
  }),
  z.object({ ...base, EventType: z.literal(EventType.ExecutionTerminated), Input: z.string().optional() }),
  z.object({ ...base, EventType: z.literal(EventType.TaskScheduled), Name: z.string(), Input: z.string().optional() }),
  z.object({
    ...base,
    EventType: z.literal(EventType.TaskCompleted),
    TaskScheduledId: z.number().int(),
    Result: z.string(),
  }),
  z.object({
    ...base,
    EventType: z.literal(EventType.TaskFailed),
    TaskScheduledId: z.number().int(),
    Reason: z.string(),
    Details: z.string(),
    FailureDetails: failureDetails.optional(),
  }),
  z.object({ ...base, EventType: z.literal(EventType.TimerCreated), FireAt: z.string() }),
  z.object({ ...base, EventType: z.literal(EventType.TimerFired), TimerId: z.number().int(), FireAt: z.string() }),
  z.object({ ...base, EventType: z.literal(EventType.OrchestratorStarted) }),
  z.object({ ...base, EventType: z.literal(EventType.OrchestratorCompleted) }),
  z.object({ ...base, EventType: z.literal(EventType.EventRaised), Name: z.string(), Input: z.string().optional() }),
  z.object({ ...base, EventType: z.literal(EventType.ExecutionSuspended), Reason: z.string().optional() }),
  z.object({ ...base, EventType: z.literal(EventType.ExecutionResumed), Reason: z.string().optional() }),
]);

export type HistoryEvent = z.infer<typeof historyEventSchema>;
export const historySchema = z.array(historyEventSchema);

/** Events that are not themselves scheduled carry EventId -1, as in Durable Task history. */
export const NO_EVENT_ID = -1;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** What a history already says about sequence ids: which were scheduled and which completed. */
export interface HistoryIndex {
  scheduled: Map<number, HistoryEvent>;
  completed: Set<number>;
  lastTimestampMs: number;
}

export function indexHistory(history: readonly HistoryEvent[]): HistoryIndex {
  const scheduled = new Map<number, HistoryEvent>();
  const completed = new Set<number>();
  let lastTimestampMs = 0;
  for (const e of history) {
    if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated) scheduled.set(e.EventId, e);
    if (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed)
      completed.add(e.TaskScheduledId);
    if (e.EventType === EventType.TimerFired) completed.add(e.TimerId);
    if (e.EventType === EventType.OrchestratorStarted)
      lastTimestampMs = Math.max(lastTimestampMs, Date.parse(e.Timestamp));
  }
  return { scheduled, completed, lastTimestampMs };
}
