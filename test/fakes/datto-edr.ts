import { secretsEqual } from '../../shared/crypto/constant-time';
import type { FakeVendor } from './core/all-fakes';
import { FakeVendorServer } from './core/fake-server';

/** Datto EDR (Infocyte) fake: raw-token `Authorization`, LoopBack-style error bodies. */
export const FAKE_DATTO_EDR_CREDENTIALS = { apiToken: 'fakeEdrToken0123456789abcdefghijklmnopqrstuvwxyz' };

export class DattoEdrFake extends FakeVendorServer {
  constructor() {
    super('datto-edr', {
      errorBody: (status, message) => ({
        error: { statusCode: status, name: 'Error', message },
      }),
    });
    // Isolation, as the tool calls it: `{ids: [...], isolated: true}` (tests read `received(...)`).
    this.route('POST', '/api/Agents/toggleIsolation', (req) => {
      if (!secretsEqual(req.headers.authorization ?? '', FAKE_DATTO_EDR_CREDENTIALS.apiToken)) {
        return { status: 401, json: { error: { statusCode: 401, name: 'Error', message: 'Authorization Required' } } };
      }
      const body = (req.json ?? {}) as { ids?: unknown; isolated?: unknown };
      if (!Array.isArray(body.ids) || typeof body.isolated !== 'boolean') {
        // LoopBack (the framework the EDR API is built on) refuses an invalid model with 422 ValidationError.
        this.refusals.push({
          method: req.method,
          path: req.path,
          violations: [{ at: 'body', message: 'ids (array) and isolated (boolean) are required' }],
        });
        return {
          status: 422,
          json: { error: { statusCode: 422, name: 'ValidationError', message: 'ids and isolated are required' } },
        };
      }
      return { json: { count: body.ids.length } };
    });
    this.route('GET', '/api/users/me', (req) => {
      if (!secretsEqual(req.headers.authorization ?? '', FAKE_DATTO_EDR_CREDENTIALS.apiToken)) {
        return {
          status: 401,
          json: {
            error: {
              statusCode: 401,
              name: 'Error',
              message: 'Authorization Required',
              code: 'AUTHORIZATION_REQUIRED',
            },
          },
        };
      }
      return { json: { id: 'fake-user-1', email: 'edr-api@fake-msp.example', username: 'edr-api', roles: ['admin'] } };
    });
  }
}

export const dattoEdrFake: FakeVendor = {
  create: () => new DattoEdrFake(),
  credentials: FAKE_DATTO_EDR_CREDENTIALS,
  config: (baseUrl) => ({ baseUrl }),
};
