import { deadLetterQueueName } from '../shared/bus/port';
import { registerQueueHandler } from '../shared/bus/trigger';
import { failureAnalysisHandler } from '../shared/failures/consumer';
import { STAGE_QUEUES, STAGES } from '../shared/pipeline/contract';

// One Failure Analysis consumer per stage's dead-letter companion queue (docs/decisions.md §10).
for (const stage of STAGES) {
  const queue = deadLetterQueueName(STAGE_QUEUES[stage]);
  registerQueueHandler(`failures-${queue}`, queue, failureAnalysisHandler(stage));
}
