import { lazyQueueHandler, registerQueueHandler } from '../shared/bus/trigger';

// The first stage (docs/design.md §6); its handler is imported on the first message (docs/decisions.md §38).
registerQueueHandler(
  'pipeline-validation',
  'validation',
  lazyQueueHandler(async () => (await import('../shared/pipeline/validation/trigger')).validation),
);
