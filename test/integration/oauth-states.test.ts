import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { stateKey } from '../../shared/oauth/pkce';
import { consumeState, type OAuthStates, STATE_TTL_MS, saveState } from '../../shared/oauth/states';
import { oauthTables } from '../../shared/oauth/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { uniqueName } from '../support/host-process';
import { installLocalSettings } from '../support/local-settings';

/**
 * The authorisation state on Azurite: single use (two callbacks racing with one state: one wins),
 * a 10-minute life on the clock, the verifier sealed at rest, and nothing stored under the state.
 */
let states: OAuthStates;
let restoreClock: (() => void) | undefined;

beforeAll(() => {
  installLocalSettings();
  states = oauthTables(storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!)).states;
});
afterEach(() => restoreClock?.());

const started = (verifier: string) => ({
  tenantId: uniqueName('tenant-'),
  integrationId: 'INTEGRATION',
  keyId: 'key-1',
  verifier,
  redirectUri: 'https://hub.example.com/api/oauth/halopsa/callback',
  credentialsUpdatedAt: '2026-01-01T00:00:00.000Z',
});

describe('OAuth state store', () => {
  it('gives the verifier back once; a second use is refused', async () => {
    const state = uniqueName('state-');
    await saveState(states, state, started('verifier-one-0123456789012345678901234567890'));
    const first = await consumeState(states, state);
    expect(first.verifier).toBe('verifier-one-0123456789012345678901234567890');
    expect(first.keyId).toBe('key-1');
    await expect(consumeState(states, state)).rejects.toMatchObject({ code: 'oauth_state_invalid' });
  });

  it('lets exactly one of two racing callbacks through', async () => {
    const state = uniqueName('state-');
    await saveState(states, state, started('verifier-two-0123456789012345678901234567890'));
    const results = await Promise.allSettled([consumeState(states, state), consumeState(states, state)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'oauth_state_invalid' });
  });

  it('refuses a state after its 10 minutes, and an unknown one', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const state = uniqueName('state-');
    await saveState(states, state, started('verifier-three-012345678901234567890123456789'));
    clock.advance(STATE_TTL_MS + 1);
    await expect(consumeState(states, state)).rejects.toMatchObject({ code: 'oauth_state_invalid' });
    await expect(consumeState(states, uniqueName('never-'))).rejects.toMatchObject({ code: 'oauth_state_invalid' });
  });

  it('stores neither the state nor the verifier in clear', async () => {
    const state = uniqueName('state-');
    const verifier = 'verifier-four-0123456789012345678901234567890';
    await saveState(states, state, started(verifier));
    const rows = [];
    for await (const row of states.iterate(stateKey(state).slice(0, 2))) rows.push(row);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(state);
    expect(text).not.toContain(verifier);
  });
});
