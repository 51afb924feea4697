import { lazyQueueHandler, registerQueueHandler } from '../shared/bus/trigger';

/** The handler, imported on the first message (docs/decisions.md §38). */
const outbound = () => import('../shared/outbound/triggers');

/**
 * A delivery's first attempt (shared/outbound/first-attempt.ts). The durable client binding starts
 * the delivery's orchestration when that attempt asks for a retry; a success never reaches Durable.
 */
registerQueueHandler(
  'outbound-first-attempt',
  'outbound-first-attempt',
  lazyQueueHandler(async () => (await outbound()).firstAttempt),
  { durableClient: true },
);

/** Its dead letters: the delivery's orchestration takes over (sends attempt 1 or replays it). */
registerQueueHandler(
  'outbound-first-attempt-deadletter',
  'outbound-first-attempt-deadletter',
  lazyQueueHandler(async () => (await outbound()).firstAttemptDeadLetter),
  { durableClient: true },
);
