import { z } from 'zod';

/**
 * The OrchestratorState the durable-functions replay engine returns from each episode, after a JSON
 * round trip (what the real worker sends to the extension: Dates become ISO strings). With schema
 * V2+ `actions` is `[[...every action the orchestrator has yielded so far...]]`, Task.all/any as
 * nested compound actions — see node_modules/durable-functions/lib/src/actions/*.
 */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

const ACTION_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ActionType).map(([name, value]) => [value, name]),
);

export function actionTypeName(type: number): string {
  return ACTION_NAMES[type] ?? `action type ${type}`;
}

const retryOptionsSchema = z
  .object({
    firstRetryIntervalInMilliseconds: z.number(),
    maxNumberOfAttempts: z.number(),
    backoffCoefficient: z.number().optional(),
    maxRetryIntervalInMilliseconds: z.number().optional(),
    retryTimeoutInMilliseconds: z.number().optional(),
  })
  .loose();
export type RetryOptions = z.infer<typeof retryOptionsSchema>;

/** Actions as the engine handles them (the wire shape is tagged by a number; this by a name). */
export type Action =
  | { kind: 'activity'; name: string; input: unknown }
  | { kind: 'retry'; name: string; input: unknown; retry: RetryOptions }
  | { kind: 'continueAsNew'; input: unknown }
  | { kind: 'timer'; fireAt: string; canceled: boolean }
  | { kind: 'event'; name: string }
  | { kind: 'compound'; children: Action[] }
  | { kind: 'unsupported'; actionType: number };

const actionSchema: z.ZodType<Action> = z.lazy(() =>
  z.union([
    z
      .object({ actionType: z.literal(ActionType.CallActivity), functionName: z.string(), input: z.unknown() })
      .transform((a): Action => ({ kind: 'activity', name: a.functionName, input: a.input })),
    z
      .object({
        actionType: z.literal(ActionType.CallActivityWithRetry),
        functionName: z.string(),
        input: z.unknown(),
        retryOptions: retryOptionsSchema,
      })
      .transform((a): Action => ({ kind: 'retry', name: a.functionName, input: a.input, retry: a.retryOptions })),
    z
      .object({ actionType: z.literal(ActionType.ContinueAsNew), input: z.unknown() })
      .transform((a): Action => ({ kind: 'continueAsNew', input: a.input })),
    z
      .object({ actionType: z.literal(ActionType.CreateTimer), fireAt: z.string(), isCanceled: z.boolean().optional() })
      .transform((a): Action => ({ kind: 'timer', fireAt: a.fireAt, canceled: a.isCanceled === true })),
    z
      .object({ actionType: z.literal(ActionType.WaitForExternalEvent), externalEventName: z.string() })
      .transform((a): Action => ({ kind: 'event', name: a.externalEventName })),
    z
      .object({
        actionType: z.union([z.literal(ActionType.WhenAny), z.literal(ActionType.WhenAll)]),
        compoundActions: z.array(actionSchema),
      })
      .transform((a): Action => ({ kind: 'compound', children: a.compoundActions })),
    // Sub-orchestrations, entities and durable HTTP still parse; the runner fails them explicitly.
    z
      .object({ actionType: z.number().int() })
      .loose()
      .transform((a): Action => ({ kind: 'unsupported', actionType: a.actionType })),
  ]),
);

export const orchestratorStateSchema = z.object({
  isDone: z.boolean(),
  actions: z.array(z.array(actionSchema)),
  output: z.unknown().optional(),
  error: z.string().optional(),
  customStatus: z.unknown().optional(),
  schemaVersion: z.number().optional(),
});
export type OrchestratorState = z.infer<typeof orchestratorStateSchema>;

/** Depth-first, in the order the replay engine assigns sequence ids to the tasks behind them. */
export function flattenActions(actions: readonly (readonly Action[])[]): Action[] {
  const out: Action[] = [];
  const visit = (a: Action) => {
    if (a.kind === 'compound') for (const child of a.children) visit(child);
    else out.push(a);
  };
  for (const group of actions) for (const a of group) visit(a);
  return out;
}

/**
 * Activity and continue-as-new inputs pass through durable-functions' `Utils.processInput`, which
 * JSON-encodes strings (and only strings) so the extension can tell a string from serialized JSON.
 * This undoes it, giving the value the activity receives.
 */
export function decodeActionInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}
