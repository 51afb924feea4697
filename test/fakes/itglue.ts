import { secretsEqual } from '../../shared/crypto/constant-time';
import type { ItGlueRegion } from '../../shared/vendors/itglue';
import type { FakeVendor } from './core/all-fakes';
import { type FakeReply, type FakeRequest, FakeVendorServer } from './core/fake-server';
import {
  type ItGlueListing,
  ItGlueListings,
  itglueBadRequest,
  itglueListingViolation,
  jsonApiPage,
} from './itglue-listing';

/**
 * IT Glue fake for one region. The good key belongs to `keyRegion`; a fake playing another region
 * refuses it with 401 as IT Glue does, which is how "wrong region" is switched on.
 */
export const FAKE_ITGLUE_CREDENTIALS = { apiKey: 'ITG.fakeitgluekey0123456789abcdef' };

const JSON_API = 'application/vnd.api+json';

export const FAKE_ITGLUE_CONFIGURATIONS = [
  {
    id: '2001',
    type: 'configurations',
    attributes: { name: 'SRV01', 'configuration-type-name': 'Server', 'organization-id': 1001 },
  },
];

/** One organisation's password entries; the value is what the reveal tool must never let the hub store. */
export const FAKE_ITGLUE_PASSWORDS = [
  { id: '3001', name: 'Domain admin', username: 'CONTOSO\\administrator', value: 'Fake-ITG-pw-7Qx!mZ41' },
  { id: '3002', name: 'Firewall', username: 'admin', value: 'Fake-ITG-pw-Lr9#vT02' },
  { id: '3003', name: 'Wi-Fi guest', username: '', value: 'Fake-ITG-pw-Wk3$eH83' },
];

export class ItGlueFake extends FakeVendorServer {
  /** Page size cap for the password list (IT Glue allows up to 1000); tests lower it to see paging. */
  passwordPageSize = 1000;
  /** Seeded organisations, contacts and configurations for the sync engine (itglue-listing.ts). */
  readonly listings = new ItGlueListings();

  constructor(
    public region: ItGlueRegion = 'us',
    public keyRegion: ItGlueRegion = 'us',
  ) {
    super(`itglue-${region}`, {
      errorBody: (status, message) => ({ errors: [{ status: String(status), title: message, detail: message }] }),
    });
    this.route('GET', '/organizations', (req) => {
      const refused = this.refuse(req) ?? this.listingRefused('organizations', req);
      if (refused) return refused;
      if (this.listings.has('organizations')) return this.listings.reply('organizations', req);
      const size = Math.max(1, Math.min(1000, Number(req.query['page[size]'] ?? 50) || 50));
      const data = [
        {
          id: '1001',
          type: 'organizations',
          attributes: { name: 'Fake Customer Ltd', 'organization-status-name': 'Active' },
        },
      ];
      return {
        headers: { 'Content-Type': JSON_API },
        json: {
          data: data.slice(0, size),
          meta: {
            'current-page': 1,
            'next-page': null,
            'prev-page': null,
            'total-pages': 1,
            'total-count': data.length,
          },
          links: {},
        },
      };
    });
    // The configuration lookup tool (read-only): `filter[name]` matches a name exactly, ignoring case.
    this.route('GET', '/configurations', (req) => {
      const refused = this.refuse(req) ?? this.listingRefused('configurations', req);
      if (refused) return refused;
      if (this.listings.has('configurations')) return this.listings.reply('configurations', req);
      const wanted = req.query['filter[name]']?.toLowerCase();
      const data = FAKE_ITGLUE_CONFIGURATIONS.filter(
        (c) => wanted === undefined || c.attributes.name.toLowerCase() === wanted,
      );
      return {
        headers: { 'Content-Type': JSON_API },
        json: { data, meta: { 'current-page': 1, 'next-page': null, 'total-pages': 1, 'total-count': data.length } },
      };
    });
    // Contacts: the sync engine's listing (empty until seeded).
    this.route('GET', '/contacts', (req) => {
      const refused = this.refuse(req) ?? this.listingRefused('contacts', req);
      if (refused) return refused;
      if (this.listings.has('contacts')) return this.listings.reply('contacts', req);
      return {
        headers: { 'Content-Type': JSON_API },
        json: { data: [], meta: { 'current-page': 1, 'next-page': null, 'total-pages': 1, 'total-count': 0 } },
      };
    });
    // Password tools: the list (JSON:API paging, no values) and one password with its value.
    this.route('GET', '/organizations/:id/relationships/passwords', (req) => {
      const refused = this.refuse(req);
      if (refused) return refused;
      if (req.params.id !== '1001') return this.notFound();
      const size = Math.max(1, Math.min(this.passwordPageSize, Number(req.query['page[size]'] ?? 50) || 50));
      const number = Math.max(1, Number(req.query['page[number]'] ?? 1) || 1);
      const total = Math.ceil(FAKE_ITGLUE_PASSWORDS.length / size);
      const data = FAKE_ITGLUE_PASSWORDS.slice((number - 1) * size, number * size).map((p) => ({
        id: p.id,
        type: 'passwords',
        attributes: { name: p.name, username: p.username, 'organization-id': 1001, 'password-category-name': 'Admin' },
      }));
      return jsonApiPage(data, number, total, FAKE_ITGLUE_PASSWORDS.length);
    });
    this.route('GET', '/passwords/:id', (req) => {
      const refused = this.refuse(req);
      if (refused) return refused;
      const found = FAKE_ITGLUE_PASSWORDS.find((p) => p.id === req.params.id);
      if (!found) return this.notFound();
      const show = req.query.show_password !== 'false';
      return {
        headers: { 'Content-Type': JSON_API },
        json: {
          data: {
            id: found.id,
            type: 'passwords',
            attributes: {
              name: found.name,
              username: found.username,
              'organization-id': 1001,
              ...(show ? { password: found.value } : {}),
            },
          },
        },
      };
    });
  }

  /** A listing request outside IT Glue's reference (page size, filters, sorts): 400, recorded. */
  private listingRefused(entity: ItGlueListing, req: FakeRequest): FakeReply | undefined {
    const violation = itglueListingViolation(entity, req.query);
    if (violation === undefined) return undefined;
    this.refusals.push({ method: req.method, path: req.path, violations: [{ at: 'query', message: violation }] });
    return itglueBadRequest(violation);
  }

  private notFound(): FakeReply {
    return {
      status: 404,
      headers: { 'Content-Type': JSON_API },
      json: { errors: [{ status: '404', title: 'Record not found', detail: 'Record not found' }] },
    };
  }

  /**
   * IT Glue speaks JSON:API: a request that declares a Content-Type other than exactly
   * `application/vnd.api+json` (no media type parameters) is refused with 415, as the JSON:API
   * specification requires of servers; then 401 for an unknown key, or a good key sent to the
   * wrong region.
   */
  private refuse(req: FakeRequest): FakeReply | undefined {
    const type = req.headers['content-type'];
    if (type !== undefined && type.trim().toLowerCase() !== JSON_API) {
      this.refusals.push({
        method: req.method,
        path: req.path,
        violations: [{ at: 'header.content-type', message: `must be ${JSON_API} without parameters` }],
      });
      return {
        status: 415,
        headers: { 'Content-Type': JSON_API },
        json: {
          errors: [{ status: '415', title: 'Unsupported Media Type', detail: `Content-Type must be ${JSON_API}` }],
        },
      };
    }
    const known = secretsEqual(req.headers['x-api-key'] ?? '', FAKE_ITGLUE_CREDENTIALS.apiKey);
    if (known && this.region === this.keyRegion) return undefined;
    return {
      status: 401,
      headers: { 'Content-Type': JSON_API },
      json: { errors: [{ status: '401', title: 'Unauthorized', detail: 'Invalid API key' }] },
    };
  }
}

export const itglueFake: FakeVendor = {
  create: () => new ItGlueFake(),
  credentials: FAKE_ITGLUE_CREDENTIALS,
  config: (baseUrl) => ({ baseUrl }),
};
