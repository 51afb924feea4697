import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { headerProblem } from '../../shared/outbound/api-schemas';

/**
 * A subscription's custom header values are refused at creation when the HTTP client would refuse
 * them at delivery: otherwise the subscription is saved and every attempt fails.
 */
describe('custom header values of a subscription', () => {
  it('accepts tab and printable ISO-8859-1, refuses control characters and anything above U+00FF', () => {
    for (const ok of ['abc', 'a b\tc', 'Grüße', '']) expect(headerProblem('X-Custom', ok), ok).toBeUndefined();
    for (const bad of ['a\r\nInjected: 1', 'a\u0000b', 'a\u0085b', 'snow ☃', 'emoji 🙂']) {
      expect(headerProblem('X-Custom', bad), bad).toBeDefined();
    }
  });

  it('refuses exactly what the HTTP client cannot send', async () => {
    // The client checks header values before it connects, so no server is needed.
    await expect(request('http://127.0.0.1:9/', { headers: { 'x-custom': 'snow ☃' } })).rejects.toMatchObject({
      code: 'UND_ERR_INVALID_ARG',
    });
  });
});
