import { lazyQueueHandler, registerQueueHandler } from '../shared/bus/trigger';

/** One page of a sync run per message (docs/sync.md); the handler is imported on the first message. */
registerQueueHandler(
  'sync-page',
  'sync-page',
  lazyQueueHandler(async () => (await import('../shared/sync/triggers')).syncPage),
);
