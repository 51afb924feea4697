import { z } from 'zod';
import { MAX_WAIT_SECONDS } from '../clock/poll-until';

/**
 * How long a request may ask the API to wait for an asynchronous result (`?wait=`, `?timeout=`):
 * whole seconds, 0 to MAX_WAIT_SECONDS — well under the 230 s the Functions front end allows a
 * response, so a waiting call never ends as the front end's timeout (docs/api.md).
 */
export const waitSeconds = z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS).optional();
