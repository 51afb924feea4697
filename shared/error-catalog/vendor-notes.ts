import type { VendorNote } from './entry';

/**
 * Vendor quirks that make a code mean something more specific for a connector call (and a tool
 * step using that connector), keyed by catalog code. Each is a known behaviour of that vendor's
 * API as the connectors meet it (docs/vendors.md).
 */
export const VENDOR_NOTES: Readonly<Record<string, readonly VendorNote[]>> = {
  '401': [
    {
      vendor: 'autotask',
      note: 'Autotask answers 401 when the API user is deactivated or its password was reset, and when the tracking identifier (integration code) is missing or not the one of this API user. Check the API user in Autotask admin, then re-enter the credentials.',
    },
    {
      vendor: 'datto-rmm',
      note: 'Datto RMM API keys expire and are regenerated in the RMM portal (Setup, Users, API keys); a regenerated key invalidates the old pair. Enter the new key and secret.',
    },
    {
      vendor: 'pax8',
      note: 'Pax8 client secrets are rotated in the Pax8 integrations page; the old secret stops working at once. Enter the new secret on the integration.',
    },
    {
      vendor: 'halopsa',
      note: 'Halo PSA refuses the token when the application is disabled or its secret regenerated; check the application under Configuration, Integrations, Halo PSA API.',
    },
  ],
  '403': [
    {
      vendor: 'autotask',
      note: "Autotask answers 403 when the API user's security level lacks the entity permission the call needs (e.g. edit tickets).",
    },
    {
      vendor: 'datto-rmm',
      note: 'Datto RMM blocks the calling IP for a while after repeated 429 answers; the block shows as 403. Lower probe and tool frequency and wait for the block to lift.',
    },
    {
      vendor: 'halopsa',
      note: 'Halo PSA answers 403 when the API application lacks a scope (read:tickets, edit:tickets …); add the scope to the application.',
    },
    {
      vendor: 'microsoft365',
      note: 'Microsoft Graph answers 403 when the GDAP relationship with the customer tenant expired or lacks the role; renew the relationship in Partner Center.',
    },
  ],
  '404': [
    {
      vendor: 'itglue',
      note: 'IT Glue accounts live in one region (US, EU, AU) with its own API host; a key used against another region answers 404 or 401. Set the region of the account on the integration.',
    },
    {
      vendor: 'autotask',
      note: 'Autotask accounts live in one zone; the connector looks it up by user name, so a 404 usually means a record id that no longer exists.',
    },
  ],
  '429': [
    {
      vendor: 'datto-rmm',
      note: 'Datto RMM blocks the IP (403) after repeated 429 answers; treat persistent 429 as a warning and reduce call frequency.',
    },
    {
      vendor: 'autotask',
      note: 'Autotask throttles per database across all integrations of the MSP; other tools using the same instance count too.',
    },
  ],
  auth: [
    { vendor: 'autotask', note: 'A deactivated Autotask API user or a wrong integration code both show as auth.' },
    { vendor: 'datto-rmm', note: 'An expired or regenerated Datto RMM API key shows as auth.' },
    { vendor: 'pax8', note: 'A rotated Pax8 client secret shows as auth until the new one is entered.' },
  ],
  forbidden: [
    { vendor: 'datto-rmm', note: 'A Datto RMM IP block after repeated 429 shows as forbidden.' },
    { vendor: 'microsoft365', note: 'An expired GDAP relationship shows as forbidden.' },
    { vendor: 'halopsa', note: 'A missing Halo PSA API scope shows as forbidden.' },
  ],
  not_found: [{ vendor: 'itglue', note: 'The wrong IT Glue region shows as not_found.' }],
  missing_scopes: [
    {
      vendor: 'halopsa',
      note: 'A Halo PSA integration authorised in a browser lists the Halo scopes it was not granted (e.g. edit:tickets).',
    },
  ],
  expiring: [
    {
      vendor: 'microsoft365',
      note: 'For Microsoft 365 this can be the client secret or the GDAP relationship end date.',
    },
  ],
};
