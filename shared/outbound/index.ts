export type { EventType } from './event-types';
export { publishPipelineOutcome } from './pipeline-events';
export { publishEvent } from './publish-event';
export type { DeliveryStarter, OrchestrationClient } from './starter';
