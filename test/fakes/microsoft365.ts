import { randomBytes, randomUUID } from 'node:crypto';
import type { FakeVendor } from './core/all-fakes';
import { type FakeReply, type FakeRequest, FakeVendorServer } from './core/fake-server';
import { describeViolations, loadSlice } from './core/spec-check';

/**
 * Microsoft 365 fake (docs/vendors.md "Microsoft 365"): one server answers both the Entra ID token
 * path (`POST /{tenant}/oauth2/v2.0/token`) and Graph (`/v1.0/organization`, GDAP
 * relationships, paged with `@odata.nextLink`). Tests replace `relationships` to make GDAP
 * relationships expire.
 */
export const M365_FAKE_CREDENTIALS = {
  clientId: '00000000-0000-4000-8000-00000000c11e',
  clientSecret: 'fake-m365-secret',
} as const;
export const M365_FAKE_TENANT = 'contoso-msp.onmicrosoft.com';
export const M365_FAKE_TOKEN_SECONDS = 3599;
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** The SKU the fake tenant subscribes to (Microsoft 365 Business Premium's id). */
export const M365_FAKE_SKU_ID = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';

export interface FakeGdapRelationship {
  id: string;
  displayName: string;
  status: string;
  endDateTime: string;
  customer: { tenantId: string; displayName: string };
}

const GRAPH_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'Authorization_RequestDenied',
  404: 'Request_ResourceNotFound',
  429: 'TooManyRequests',
  503: 'ServiceNotAvailable',
};

/** Graph's error envelope. */
const graphError = (status: number, message: string) => ({
  error: {
    code: GRAPH_CODES[status] ?? 'generalException',
    message,
    innerError: { date: '2026-01-01T00:00:00', 'request-id': randomUUID(), 'client-request-id': randomUUID() },
  },
});

/** A GDAP relationship as Graph lists it; only the end date is required. */
export function gdapRelationship(
  overrides: Partial<FakeGdapRelationship> & { endDateTime: string },
): FakeGdapRelationship {
  return {
    id: overrides.id ?? `${randomUUID()}-${randomUUID()}`,
    displayName: overrides.displayName ?? 'Contoso helpdesk',
    status: overrides.status ?? 'active',
    endDateTime: overrides.endDateTime,
    customer: overrides.customer ?? { tenantId: randomUUID(), displayName: 'Contoso Ltd' },
  };
}

export class M365FakeServer extends FakeVendorServer {
  /** What GDAP lists; the default is one relationship ending far in the future. */
  relationships: FakeGdapRelationship[] = [gdapRelationship({ endDateTime: '2099-01-01T00:00:00Z' })];
  /** GDAP page size (Graph pages these lists; small here so tests see nextLink). */
  gdapPageSize = 100;
  /** Directory users the lookup tool can find. */
  users = [
    {
      id: '6e7b768e-07e2-4810-8459-485f84f8f204',
      displayName: 'Adele Vance',
      userPrincipalName: `adelev@${M365_FAKE_TENANT}`,
      accountEnabled: true,
    },
  ];
  private readonly issued = new Set<string>();
  /** The partner's customer tenants (`delegatedAdminCustomers`, the sync engine's clients). */
  customers: { id: string; tenantId: string; displayName: string }[] = [];
  /** Customers page size (Graph chooses it; small here so tests see nextLink). */
  customersPageSize = 100;

  constructor() {
    super('microsoft365', {
      errorBody: graphError,
      // Held to the Graph v1.0 slice (subscription entity from Graph's CSDL): a body Graph's OData
      // layer would refuse (an undeclared property, a wrong type) is a 400 in Graph's envelope.
      spec: {
        slice: loadSlice('microsoft365'),
        prefix: '/v1.0',
        refuse: (violations) => ({ status: 400, json: graphError(400, describeViolations(violations)) }),
      },
    });
    this.route('POST', '/:tenant/oauth2/v2.0/token', (req) => this.token(req));
    this.route('GET', '/v1.0/organization', (req) =>
      this.withToken(req, () => ({
        json: {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#organization',
          value: [
            {
              id: randomUUID(),
              displayName: 'Contoso MSP',
              verifiedDomains: [{ name: M365_FAKE_TENANT, isDefault: true }],
            },
          ],
        },
      })),
    );
    this.route('GET', '/v1.0/tenantRelationships/delegatedAdminRelationships', (req) =>
      this.withToken(req, () => this.gdapPage(req)),
    );
    this.route('GET', '/v1.0/tenantRelationships/delegatedAdminCustomers', (req) =>
      this.withToken(req, () => {
        const skip = Math.max(0, Number(req.query.$skiptoken ?? 0) || 0);
        const next = skip + this.customersPageSize < this.customers.length ? skip + this.customersPageSize : undefined;
        return {
          json: {
            '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#tenantRelationships/delegatedAdminCustomers',
            ...(next !== undefined
              ? {
                  '@odata.nextLink': `${this.baseUrl}/v1.0/tenantRelationships/delegatedAdminCustomers?$skiptoken=${next}`,
                }
              : {}),
            value: this.customers.slice(skip, skip + this.customersPageSize),
          },
        };
      }),
    );
    // Change-notification subscriptions (a push from the hub): create with the handshake, renew, delete.
    this.route('POST', '/v1.0/subscriptions', (req) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (token === undefined || !this.issued.has(token)) {
        return { status: 401, json: graphError(401, 'Access token validation failure. Invalid audience.') };
      }
      return this.createSubscription(req);
    });
    // Reconcile's listing: the app's subscriptions as Graph lists them (clientState is not returned).
    this.route('GET', '/v1.0/subscriptions', (req) =>
      this.withToken(req, () => ({
        json: {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions',
          value: [...this.subscriptions].map(([id, { clientState: _hidden, ...sub }]) => ({ id, ...sub })),
        },
      })),
    );
    this.route('PATCH', '/v1.0/subscriptions/:id', (req) =>
      this.withToken(req, () => {
        const sub = this.subscriptions.get(req.params.id ?? '');
        if (!sub) return { status: 404, json: graphError(404, `The object was not found: ${req.params.id}`) };
        const at = (req.json as { expirationDateTime?: unknown } | undefined)?.expirationDateTime;
        if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) {
          return { status: 400, json: graphError(400, 'expirationDateTime is required.') };
        }
        sub.expirationDateTime = new Date(at).toISOString();
        return { json: { id: req.params.id, ...sub } };
      }),
    );
    this.route('DELETE', '/v1.0/subscriptions/:id', (req) =>
      this.withToken(req, () =>
        this.subscriptions.delete(req.params.id ?? '')
          ? { status: 204, body: '' }
          : { status: 404, json: graphError(404, `The object was not found: ${req.params.id}`) },
      ),
    );
    // The user lookup tool: by object id or userPrincipalName (case-insensitive), as Graph allows.
    this.route('GET', '/v1.0/users/:user', (req) =>
      this.withToken(req, () => {
        const wanted = (req.params.user ?? '').toLowerCase();
        const user = this.users.find((u) => u.id === wanted || u.userPrincipalName.toLowerCase() === wanted);
        if (!user) {
          return {
            status: 404,
            json: graphError(
              404,
              `Resource '${req.params.user}' does not exist or one of its queried reference-property objects are not present.`,
            ),
          };
        }
        return { json: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...user } };
      }),
    );
    this.directoryRoutes();
  }

  /** Groups the list tool pages through. */
  groups = [
    {
      id: '02bd9fd6-8f93-4758-87c3-1fb73740a315',
      displayName: 'HR Taskforce',
      mail: 'hrtaskforce@contoso-msp.onmicrosoft.com',
      groupTypes: ['Unified'],
      securityEnabled: false,
      mailEnabled: true,
    },
    {
      id: '45b7d2e7-b882-4a80-ba97-10b7a63b8fa4',
      displayName: 'Helpdesk admins',
      mail: null,
      groupTypes: [],
      securityEnabled: true,
      mailEnabled: false,
    },
  ];
  /** The tenant's subscribed SKUs (licences). */
  skus = [
    {
      skuId: M365_FAKE_SKU_ID,
      skuPartNumber: 'O365_BUSINESS_PREMIUM',
      capabilityStatus: 'Enabled',
      consumedUnits: 1,
      prepaidUnits: { enabled: 5, suspended: 0, warning: 0 },
    },
  ];
  /** Licences assigned per user id, and per-user extras Graph keeps (usage location, password). */
  readonly assigned = new Map<string, Set<string>>();
  readonly usageLocation = new Map<string, string>();
  /** The passwordProfile last set per user id (tests check a reset happened; Graph never reads it back). */
  readonly passwordSet = new Map<string, { password: string; forceChangePasswordNextSignIn: boolean }>();
  /** Page size of the users and groups lists (Graph honours `$top` up to 999); tests lower it. */
  directoryPageSize = 999;

  private findUser(key: string | undefined) {
    const wanted = (key ?? '').toLowerCase();
    return this.users.find((u) => u.id === wanted || u.userPrincipalName.toLowerCase() === wanted);
  }

  private userMissing(key: string | undefined): FakeReply {
    return {
      status: 404,
      json: graphError(
        404,
        `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
      ),
    };
  }

  /** A `$top`/`$skiptoken` page of a collection, with `@odata.nextLink` while more remain. */
  private collectionPage(req: FakeRequest, path: string, all: readonly object[]): FakeReply {
    const top = Number(req.query.$top ?? 100);
    if (!Number.isInteger(top) || top < 1 || top > 999) {
      return {
        status: 400,
        json: graphError(400, "Invalid page size specified: '$top'. Must be between 1 and 999 inclusive."),
      };
    }
    const size = Math.min(top, this.directoryPageSize);
    const skip = Math.max(0, Number(req.query.$skiptoken ?? 0) || 0);
    const next = skip + size < all.length ? skip + size : undefined;
    const keep = new URLSearchParams(Object.entries(req.query).filter(([k]) => k !== '$skiptoken'));
    if (next !== undefined) keep.set('$skiptoken', String(next));
    return {
      json: {
        '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#${path}`,
        ...(next !== undefined ? { '@odata.nextLink': `${this.baseUrl}/v1.0/${path}?${keep}` } : {}),
        value: all.slice(skip, skip + size),
      },
    };
  }

  /**
   * Directory reads and the lifecycle writes the tools call (Graph v1.0 reference). Hand checks,
   * Graph's way: a PATCH of a user takes only its writable properties, a passwordProfile needs a
   * password, assignLicense needs both lists and a subscribed SKU, and a user without a usage
   * location cannot be given a licence.
   */
  private directoryRoutes(): void {
    this.route('GET', '/v1.0/users', (req) => this.withToken(req, () => this.collectionPage(req, 'users', this.users)));
    this.route('GET', '/v1.0/groups', (req) =>
      this.withToken(req, () => this.collectionPage(req, 'groups', this.groups)),
    );
    this.route('GET', '/v1.0/subscribedSkus', (req) =>
      this.withToken(req, () => ({
        json: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscribedSkus', value: this.skus },
      })),
    );
    this.route('GET', '/v1.0/users/:user/licenseDetails', (req) =>
      this.withToken(req, () => {
        const user = this.findUser(req.params.user);
        if (!user) return this.userMissing(req.params.user);
        const value = [...(this.assigned.get(user.id) ?? [])].map((skuId) => ({
          id: `${user.id}-${skuId}`,
          skuId,
          skuPartNumber: this.skus.find((s) => s.skuId === skuId)?.skuPartNumber ?? '',
          servicePlans: [],
        }));
        return {
          json: {
            '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#users('${user.id}')/licenseDetails`,
            value,
          },
        };
      }),
    );
    this.route('GET', '/v1.0/users/:user/mailboxSettings', (req) =>
      this.withToken(req, () => {
        const user = this.findUser(req.params.user);
        if (!user) return this.userMissing(req.params.user);
        return {
          json: {
            '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#users('${user.id}')/mailboxSettings`,
            timeZone: 'W. Europe Standard Time',
            language: { locale: 'en-GB', displayName: 'English (United Kingdom)' },
            automaticRepliesSetting: { status: 'disabled', externalAudience: 'all' },
            delegateMeetingMessageDeliveryOptions: 'sendToDelegateOnly',
          },
        };
      }),
    );
    this.route('PATCH', '/v1.0/users/:user', (req) => this.withToken(req, () => this.patchUser(req)));
    this.route('POST', '/v1.0/users/:user/assignLicense', (req) => this.withToken(req, () => this.assignLicense(req)));
  }

  private patchUser(req: FakeRequest): FakeReply {
    const user = this.findUser(req.params.user);
    if (!user) return this.userMissing(req.params.user);
    const body = req.json;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { status: 400, json: graphError(400, 'Empty Payload. JSON content expected.') };
    }
    const writable = new Set(['accountEnabled', 'passwordProfile', 'displayName', 'usageLocation', 'jobTitle']);
    const fields = body as Record<string, unknown>;
    const unknown = Object.keys(fields).find((k) => !writable.has(k));
    if (unknown) {
      return {
        status: 400,
        json: graphError(400, `Property '${unknown}' does not exist on type 'microsoft.graph.user'.`),
      };
    }
    if ('accountEnabled' in fields && typeof fields.accountEnabled !== 'boolean') {
      return { status: 400, json: graphError(400, "Cannot convert the literal to the expected type 'Edm.Boolean'.") };
    }
    if ('passwordProfile' in fields) {
      const profile = fields.passwordProfile as { password?: unknown; forceChangePasswordNextSignIn?: unknown } | null;
      if (typeof profile?.password !== 'string' || profile.password.length < 8 || profile.password.length > 256) {
        return {
          status: 400,
          json: graphError(400, 'The specified password does not comply with password complexity requirements.'),
        };
      }
      this.passwordSet.set(user.id, {
        password: profile.password,
        forceChangePasswordNextSignIn: profile.forceChangePasswordNextSignIn === true,
      });
    }
    if (typeof fields.accountEnabled === 'boolean') user.accountEnabled = fields.accountEnabled;
    if (typeof fields.usageLocation === 'string') this.usageLocation.set(user.id, fields.usageLocation);
    return { status: 204, body: '' };
  }

  private assignLicense(req: FakeRequest): FakeReply {
    const user = this.findUser(req.params.user);
    if (!user) return this.userMissing(req.params.user);
    const body = (req.json ?? {}) as { addLicenses?: unknown; removeLicenses?: unknown };
    if (!Array.isArray(body.addLicenses) || !Array.isArray(body.removeLicenses)) {
      return { status: 400, json: graphError(400, "The parameters 'addLicenses' and 'removeLicenses' are required.") };
    }
    const adds = body.addLicenses as Array<{ skuId?: unknown; disabledPlans?: unknown }>;
    const subscribed = new Set(this.skus.map((s) => s.skuId));
    for (const add of adds) {
      if (typeof add.skuId !== 'string' || !Array.isArray(add.disabledPlans)) {
        return { status: 400, json: graphError(400, 'Each added license needs skuId and disabledPlans.') };
      }
      if (!subscribed.has(add.skuId)) {
        return { status: 400, json: graphError(400, `Subscription with SKU ${add.skuId} does not exist`) };
      }
    }
    if (adds.length > 0 && !this.usageLocation.has(user.id)) {
      return {
        status: 400,
        json: graphError(400, 'License assignment cannot be done for user with invalid usage location.'),
      };
    }
    const held = this.assigned.get(user.id) ?? new Set<string>();
    for (const sku of body.removeLicenses) {
      if (typeof sku !== 'string' || !held.has(sku)) {
        return { status: 400, json: graphError(400, `User does not have a corresponding license ${String(sku)}.`) };
      }
      held.delete(sku);
    }
    for (const add of adds) held.add(String(add.skuId));
    this.assigned.set(user.id, held);
    return { json: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...user } };
  }

  /** Change-notification subscriptions created through `POST /v1.0/subscriptions`, by id. */
  readonly subscriptions = new Map<
    string,
    {
      resource: string;
      changeType: string;
      notificationUrl: string;
      lifecycleNotificationUrl?: string;
      clientState: string;
      expirationDateTime: string;
    }
  >();

  /**
   * As Graph does before it answers a subscription create: POST the notification URL with
   * `?validationToken=`, and require the token back as text/plain with 200 within 10 s.
   */
  private async handshake(notificationUrl: string): Promise<string | undefined> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const url = `${notificationUrl}${notificationUrl.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (res.status !== 200) return `the validation request got HTTP ${res.status}`;
      if (!(res.headers.get('content-type') ?? '').startsWith('text/plain')) return 'the answer was not text/plain';
      return text === token ? undefined : 'the answer did not echo the validation token';
    } catch (error) {
      return `the validation request failed: ${String(error)}`;
    }
  }

  private async createSubscription(req: FakeRequest): Promise<FakeReply> {
    const body = (req.json ?? {}) as Record<string, unknown>;
    for (const field of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime'] as const) {
      if (typeof body[field] !== 'string' || body[field] === '') {
        return { status: 400, json: graphError(400, `The property '${field}' is required.`) };
      }
    }
    if (Number.isNaN(Date.parse(String(body.expirationDateTime)))) {
      return { status: 400, json: graphError(400, 'expirationDateTime is not a valid date.') };
    }
    // Graph refuses a change type the resource does not support (users and groups: updated, deleted).
    const kind = /^\/?(users|groups)(\/[^/]+)?$/.exec(String(body.resource))?.[1];
    const types = String(body.changeType).split(',');
    if (kind && types.some((t) => t !== 'updated' && t !== 'deleted')) {
      this.refusals.push({
        method: req.method,
        path: req.path,
        violations: [{ at: 'body.changeType', message: `not supported for ${kind}` }],
      });
      return {
        status: 400,
        json: graphError(
          400,
          `ChangeType '${body.changeType}' is not supported for resource '${body.resource}'. Supported change types: updated, deleted.`,
        ),
      };
    }
    const lifecycleUrl = typeof body.lifecycleNotificationUrl === 'string' ? body.lifecycleNotificationUrl : undefined;
    const failed =
      (await this.handshake(String(body.notificationUrl))) ??
      (lifecycleUrl !== undefined ? await this.handshake(lifecycleUrl) : undefined);
    if (failed) {
      return {
        status: 400,
        json: graphError(
          400,
          `Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request (${failed}).`,
        ),
      };
    }
    const id = randomUUID();
    const subscription = {
      resource: String(body.resource),
      changeType: String(body.changeType),
      notificationUrl: String(body.notificationUrl),
      ...(lifecycleUrl !== undefined ? { lifecycleNotificationUrl: lifecycleUrl } : {}),
      clientState: typeof body.clientState === 'string' ? body.clientState : '',
      expirationDateTime: new Date(String(body.expirationDateTime)).toISOString(),
    };
    this.subscriptions.set(id, subscription);
    return {
      status: 201,
      json: {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity',
        id,
        ...subscription,
      },
    };
  }

  /** Sends one change notification for a subscription, as Graph would (tests of the receive side). */
  async notify(subscriptionId: string, change: Record<string, unknown> = {}): Promise<Response> {
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub) throw new Error(`no subscription ${subscriptionId}`);
    return fetch(sub.notificationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: [
          {
            subscriptionId,
            clientState: sub.clientState,
            changeType: sub.changeType.split(',')[0],
            resource: sub.resource,
            subscriptionExpirationDateTime: sub.expirationDateTime,
            tenantId: randomUUID(),
            ...change,
          },
        ],
      }),
    });
  }

  /**
   * Sends one lifecycle notification for a subscription to its lifecycleNotificationUrl, as Graph
   * does: `{value: [{subscriptionId, subscriptionExpirationDateTime, tenantId, clientState,
   * lifecycleEvent}]}`. `subscriptionRemoved` also drops the subscription here, as at Graph.
   */
  async lifecycle(
    subscriptionId: string,
    lifecycleEvent: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed',
    clientState?: string,
  ): Promise<Response> {
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub?.lifecycleNotificationUrl) throw new Error(`no lifecycle URL for subscription ${subscriptionId}`);
    if (lifecycleEvent === 'subscriptionRemoved') this.subscriptions.delete(subscriptionId);
    return fetch(sub.lifecycleNotificationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: [
          {
            subscriptionId,
            subscriptionExpirationDateTime: sub.expirationDateTime,
            tenantId: randomUUID(),
            clientState: clientState ?? sub.clientState,
            lifecycleEvent,
          },
        ],
      }),
    });
  }

  private token(req: FakeRequest): FakeReply {
    const form = new URLSearchParams(req.body);
    const trace = `Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: 2026-01-01 00:00:00Z`;
    if (req.params.tenant !== M365_FAKE_TENANT) {
      return {
        status: 400,
        json: {
          error: 'invalid_request',
          error_description: `AADSTS90002: Tenant '${req.params.tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ${trace}`,
          error_codes: [90002],
        },
      };
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return {
        status: 400,
        json: {
          error: 'unsupported_grant_type',
          error_description: `AADSTS70003: The app requested an unsupported grant type. ${trace}`,
        },
      };
    }
    if (form.get('client_id') !== M365_FAKE_CREDENTIALS.clientId) {
      return {
        status: 400,
        json: {
          error: 'unauthorized_client',
          error_description: `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory '${M365_FAKE_TENANT}'. ${trace}`,
          error_codes: [700016],
        },
      };
    }
    if (form.get('client_secret') !== M365_FAKE_CREDENTIALS.clientSecret) {
      return {
        status: 401,
        json: {
          error: 'invalid_client',
          error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${M365_FAKE_CREDENTIALS.clientId}'. ${trace}`,
          error_codes: [7000215],
        },
      };
    }
    if (form.get('scope') !== GRAPH_SCOPE) {
      return {
        status: 400,
        json: {
          error: 'invalid_scope',
          error_description: `AADSTS1002012: The provided value for scope ${form.get('scope')} is not valid. ${trace}`,
        },
      };
    }
    const token = `eyJ0eXAiOiJKV1QifQ.${randomBytes(16).toString('hex')}`;
    this.issued.add(token);
    return {
      json: {
        token_type: 'Bearer',
        expires_in: M365_FAKE_TOKEN_SECONDS,
        ext_expires_in: M365_FAKE_TOKEN_SECONDS,
        access_token: token,
      },
    };
  }

  private withToken(req: FakeRequest, answer: () => FakeReply): FakeReply {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined || !this.issued.has(token)) {
      return { status: 401, json: graphError(401, 'Access token validation failure. Invalid audience.') };
    }
    return answer();
  }

  private gdapPage(req: FakeRequest): FakeReply {
    const skip = Math.max(0, Number(req.query.$skiptoken ?? 0) || 0);
    const value = this.relationships.slice(skip, skip + this.gdapPageSize);
    const next = skip + this.gdapPageSize < this.relationships.length ? skip + this.gdapPageSize : undefined;
    return {
      json: {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#tenantRelationships/delegatedAdminRelationships',
        ...(next !== undefined
          ? {
              '@odata.nextLink': `${this.baseUrl}/v1.0/tenantRelationships/delegatedAdminRelationships?$skiptoken=${next}`,
            }
          : {}),
        value,
      },
    };
  }
}

export const microsoft365Fake: FakeVendor = {
  create: () => new M365FakeServer(),
  credentials: { ...M365_FAKE_CREDENTIALS },
  config: (baseUrl) => ({ tenantId: M365_FAKE_TENANT, baseUrl }),
};
