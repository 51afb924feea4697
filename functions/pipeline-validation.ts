import { registerQueueHandler } from '../shared/bus/trigger';
import { STAGE_QUEUES } from '../shared/pipeline/contract';
import { stageHandler } from '../shared/pipeline/stage-runner';
import { validateEvent } from '../shared/pipeline/validation/stage';

registerQueueHandler('pipeline-validation', STAGE_QUEUES.validation, stageHandler('validation', validateEvent));
