import { stageHandler } from '../stage-runner';
import { validateEvent } from './stage';

/**
 * The validation stage's queue handler on its own, so a cold instance's first validation message
 * loads the validation code only, not the processing stages behind it (the tools catalog, agents,
 * vendors; docs/benchmarks.md, "Cold requests").
 */
export const validation = stageHandler('validation', validateEvent);
