import { lazyQueueHandler, registerQueueHandler } from '../shared/bus/trigger';

/** One page of a sync run per message (docs/sync.md); the handler is imported on the first message. */
registerQueueHandler(
  'sync-page',
  'sync-page',
  lazyQueueHandler(async () => (await import('../shared/sync/triggers')).syncPage),
);

// A page the bus gave up on fails its run (docs/sync.md, "Crashes").
registerQueueHandler(
  'sync-page-deadletter',
  'sync-page-deadletter',
  lazyQueueHandler(async () => (await import('../shared/sync/triggers')).syncPageDeadLetter),
);
