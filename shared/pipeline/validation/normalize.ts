import { z } from 'zod';
import type { NormalizedEvent } from '../../events/contract';
import { AUTOTASK_PRIORITY_SEVERITY } from '../../vendors/autotask/priorities';
import { pax8EventType, pax8WebhookPayloadSchema } from '../../vendors/pax8/webhook';

/**
 * Vendor payloads → the common event (docs/design.md §6.3). One reader per source, each tolerant of extra
 * fields and strict about the few it needs; a payload a reader cannot use is a `validation_error`
 * naming what is missing. `fields` flattens the whole payload for SOP field conditions.
 */
export class PayloadInvalidError extends Error {
  override readonly name = 'PayloadInvalidError';
}

type Severity = NormalizedEvent['severity'];
type Normalizer = (payload: unknown, receivedAt: string) => NormalizedEvent;

const MAX_FIELDS = 200;
const MAX_FIELD_CHARS = 500;
const MAX_KEYWORDS = 50;

/** Dotted paths to primitive values, depth-limited and bounded. */
export function flatten(
  value: unknown,
  prefix = '',
  out: NormalizedEvent['fields'] = {},
  depth = 0,
): NormalizedEvent['fields'] {
  if (Object.keys(out).length >= MAX_FIELDS) return out;
  if (value === null || typeof value === 'boolean' || typeof value === 'number') {
    if (prefix) out[prefix] = value;
  } else if (typeof value === 'string') {
    if (prefix) out[prefix] = value.length > MAX_FIELD_CHARS ? value.slice(0, MAX_FIELD_CHARS) : value;
  } else if (typeof value === 'object' && depth < 5) {
    const entries = Array.isArray(value)
      ? value.slice(0, 20).map((v, i) => [String(i), v] as const)
      : Object.entries(value);
    for (const [key, child] of entries) flatten(child, prefix ? `${prefix}.${key}` : key, out, depth + 1);
  }
  return out;
}

/** Lower-case words (letters, digits, `_`) of 3+ characters, so `disk_full` stays one keyword. */
export function keywordsOf(...texts: Array<string | undefined | null>): string[] {
  const words = new Set<string>();
  for (const text of texts) {
    for (const word of (text ?? '').toLowerCase().match(/[a-z0-9_]+/g) ?? []) {
      if (word.length >= 3 && words.size < MAX_KEYWORDS) words.add(word);
    }
  }
  return [...words];
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function severityFrom(value: unknown, fallback: Severity = 'medium'): Severity {
  const text = String(value ?? '').toLowerCase();
  if (/crit|p1\b|emergency|sev(erity)?\s*1/.test(text)) return 'critical';
  if (/high|major|p2\b/.test(text)) return 'high';
  if (/medium|moderate|normal|p3\b/.test(text)) return 'medium';
  if (/low|minor|p4\b/.test(text)) return 'low';
  if (/info|informational|notice/.test(text)) return 'info';
  return fallback;
}

function entitiesOf(pairs: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(pairs)) {
    const s = str(value);
    if (s !== undefined) out[key] = s;
  }
  return out;
}

function timeOf(value: unknown, fallback: string): string {
  const s = str(value);
  if (!s) return fallback;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? fallback : new Date(ms).toISOString();
}

const objectPayload = z.record(z.string(), z.unknown());

// --- Autotask: {Action, Guid, EntityType, Id, Fields, EventTime, SequenceNumber, PersonID} --------
const autotaskSchema = z.looseObject({
  Action: z.string().min(1),
  EntityType: z.string().min(1),
  Id: z.union([z.number(), z.string()]),
  Fields: z.record(z.string(), z.unknown()).optional(),
  EventTime: z.string().optional(),
});

const AUTOTASK_ACTIONS: Record<string, string> = { create: 'created', update: 'updated', delete: 'deleted' };
const AUTOTASK_ENTITIES: Record<string, string> = {
  ticket: 'ticket',
  account: 'company',
  company: 'company',
  contact: 'contact',
  configurationitem: 'asset',
  invoice: 'invoice',
};

const autotask: Normalizer = (payload, receivedAt) => {
  const p = parseOrExplain(autotaskSchema, payload, 'an Autotask webhook callback (Action, EntityType, Id)');
  const fields = p.Fields ?? {};
  const entity = AUTOTASK_ENTITIES[p.EntityType.toLowerCase()] ?? p.EntityType.toLowerCase();
  const action = AUTOTASK_ACTIONS[p.Action.toLowerCase()] ?? p.Action.toLowerCase();
  const title = str(fields['Title']) ?? str(fields['title']);
  const description = str(fields['Description']) ?? str(fields['description']);
  return {
    source: 'autotask',
    type: `${entity}.${action}`,
    subject: title ?? `${p.EntityType} ${p.Id} ${action}`,
    severity: AUTOTASK_PRIORITY_SEVERITY[String(fields['Priority'] ?? fields['priority'] ?? '')] ?? 'medium',
    entities: entitiesOf({
      [`${entity}Id`]: p.Id,
      companyId: fields['CompanyID'] ?? fields['companyID'],
      contactId: fields['ContactID'] ?? fields['contactID'],
      configurationItemId: fields['ConfigurationItemID'],
    }),
    keywords: keywordsOf(title, description, entity, action, str(fields['IssueType']), str(fields['SubIssueType'])),
    fields: flatten(p),
    occurredAt: timeOf(p.EventTime, receivedAt),
  };
};

// --- Halo PSA: a webhook posts the changed object; parse defensively (docs/vendors.md §2) ------------------
const halo: Normalizer = (payload, receivedAt) => {
  const p = parseOrExplain(objectPayload, payload, 'a Halo PSA webhook object');
  const ticket = (typeof p['ticket'] === 'object' && p['ticket'] !== null ? p['ticket'] : p) as Record<string, unknown>;
  const ticketId = ticket['id'] ?? p['ticket_id'];
  const eventName = String(p['event'] ?? p['webhook_event'] ?? p['event_name'] ?? p['action'] ?? '').toLowerCase();
  const isClient = p['client'] !== undefined && ticketId === undefined;
  if (ticketId === undefined && !isClient)
    throw new PayloadInvalidError('A Halo PSA payload needs a ticket (id) or a client.');
  const action = /new|creat|log/.test(eventName) ? 'created' : /clos|resolv/.test(eventName) ? 'closed' : 'updated';
  const summary = str(ticket['summary']) ?? str(ticket['symptom']);
  return {
    source: 'halopsa',
    type: isClient ? `company.${action}` : `ticket.${action}`,
    subject: summary ?? (isClient ? 'Halo client' : `Halo ticket ${String(ticketId)}`),
    severity: severityFrom(ticket['priority_name'] ?? ticket['priority'] ?? ticket['priority_id']),
    entities: entitiesOf({
      ticketId,
      companyId: ticket['client_id'],
      siteId: ticket['site_id'],
      userId: ticket['user_id'],
    }),
    keywords: keywordsOf(summary, str(ticket['details']), eventName, str(ticket['tickettype_name'])),
    fields: flatten(p),
    occurredAt: timeOf(ticket['dateoccurred'] ?? p['datetime'], receivedAt),
  };
};

// --- Datto RMM alert webhook (fields chosen in the alert's webhook template) ------------------------
const dattoRmm: Normalizer = (payload, receivedAt) => {
  const p = parseOrExplain(objectPayload, payload, 'a Datto RMM alert');
  const alertUid = p['alertUid'] ?? p['alertUID'] ?? p['alert_uid'] ?? p['uid'];
  const message = str(p['alertMessage']) ?? str(p['message']) ?? str(p['alertType']);
  if (alertUid === undefined && message === undefined) {
    throw new PayloadInvalidError('A Datto RMM alert needs alertUid or alertMessage.');
  }
  const resolved = p['resolved'] === true || /resolv/i.test(String(p['status'] ?? p['event'] ?? ''));
  return {
    source: 'datto-rmm',
    type: resolved ? 'alert.resolved' : 'alert.triggered',
    subject: message ?? `Datto RMM alert ${String(alertUid)}`,
    severity: severityFrom(p['priority'] ?? p['alertPriority'], 'medium'),
    entities: entitiesOf({
      alertId: alertUid,
      deviceId: p['deviceUid'] ?? p['deviceUID'],
      deviceName: p['hostname'] ?? p['deviceName'],
      siteId: p['siteUid'] ?? p['siteUID'],
    }),
    keywords: keywordsOf(message, str(p['alertType']), str(p['monitorType']), str(p['category'])),
    fields: flatten(p),
    occurredAt: timeOf(p['timestamp'] ?? p['alertTime'], receivedAt),
  };
};

// --- Datto EDR (Infocyte) alert ----------------------------------------------------------------------
const dattoEdr: Normalizer = (payload, receivedAt) => {
  const p = parseOrExplain(objectPayload, payload, 'a Datto EDR alert');
  const id = p['id'] ?? p['alertId'];
  const name = str(p['name']) ?? str(p['ruleName']) ?? str(p['threatName']);
  if (id === undefined && name === undefined) throw new PayloadInvalidError('A Datto EDR alert needs id or name.');
  return {
    source: 'datto-edr',
    type: 'alert.triggered',
    subject: name ?? `Datto EDR alert ${String(id)}`,
    severity: severityFrom(p['severity'] ?? p['threatScore'], 'high'),
    entities: entitiesOf({ alertId: id, agentId: p['agentId'], hostName: p['hostname'] ?? p['hostName'] }),
    keywords: keywordsOf(name, str(p['description']), str(p['ruleName']), str(p['threatName'])),
    fields: flatten(p),
    occurredAt: timeOf(p['createdOn'] ?? p['timestamp'], receivedAt),
  };
};

// --- Microsoft Graph change notifications ----------------------------------------------------------
const graphSchema = z.looseObject({
  value: z
    .array(
      z.looseObject({
        changeType: z.string().min(1),
        resource: z.string().min(1),
        subscriptionId: z.string().optional(),
        tenantId: z.string().optional(),
        resourceData: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .min(1),
});

const graph: Normalizer = (payload, receivedAt) => {
  const p = parseOrExplain(graphSchema, payload, 'Graph change notifications ({value: [...]})');
  const first = p.value[0]!;
  // `users/{id}`, `groups/{id}/members`, … → user, group
  const kind = (first.resource.split('/')[0] ?? 'resource').replace(/s$/, '').toLowerCase();
  const id = str(first.resourceData?.['id']) ?? first.resource.split('/')[1];
  return {
    source: 'microsoft365',
    type: `${kind}.${first.changeType.toLowerCase()}`,
    subject: `${kind} ${id ?? first.resource} ${first.changeType}${p.value.length > 1 ? ` (+${p.value.length - 1} more)` : ''}`,
    severity: 'info',
    entities: entitiesOf({ [`${kind}Id`]: id, tenantId: first.tenantId, subscriptionId: first.subscriptionId }),
    keywords: keywordsOf(kind, first.changeType, first.resource),
    // clientState is our secret: it never leaves the receive path.
    fields: flatten({ ...p, value: p.value.map(({ clientState: _c, ...rest }) => rest) }),
    occurredAt: receivedAt,
  };
};

// --- Generic senders (and Pax8, UniFi, IT Glue): {type, id?, subject?, severity?, data?} ------------
const genericSchema = z.looseObject({
  type: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/i, 'a dotted type such as ticket.created'),
  subject: z.string().optional(),
  title: z.string().optional(),
  severity: z.string().optional(),
  keywords: z.array(z.string()).optional(),
  entities: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  occurredAt: z.string().optional(),
  data: z.unknown().optional(),
});

function generic(source: string): Normalizer {
  return (payload, receivedAt) => {
    const raw = parseOrExplain(objectPayload, payload, 'a JSON object');
    // Pax8 and others name the type `eventType` or `event`.
    const candidate = { ...raw, type: raw['type'] ?? raw['eventType'] ?? raw['event'] };
    const p = parseOrExplain(
      genericSchema,
      candidate,
      'a generic event ({type: "ticket.created", subject?, severity?, data?})',
    );
    const subject = p.subject ?? p.title ?? p.type;
    return {
      source,
      type: p.type.toLowerCase(),
      subject,
      severity: severityFrom(p.severity, 'medium'),
      entities: entitiesOf(p.entities ?? {}),
      keywords: [
        ...new Set([
          ...keywordsOf(subject, p.type.replace(/\./g, ' ')),
          ...(p.keywords ?? []).map((k) => k.toLowerCase()),
        ]),
      ].slice(0, MAX_KEYWORDS),
      fields: flatten(p),
      occurredAt: timeOf(p.occurredAt, receivedAt),
    };
  };
}

function parseOrExplain<S extends z.ZodType>(schema: S, payload: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  throw new PayloadInvalidError(`The payload is not ${what}: ${issues}.`);
}

// --- Pax8: {accountId, webhookId, sentAt, webhookTopic: {topic}, payloadData} (no `type`) -------
const pax8: Normalizer = (payload, receivedAt) => {
  const raw = parseOrExplain(objectPayload, payload, 'a JSON object');
  // A sender using the hub's own signed generic shape keeps working.
  if (raw['webhookTopic'] === undefined) return generic('pax8')(payload, receivedAt);
  const p = parseOrExplain(pax8WebhookPayloadSchema, raw, 'a Pax8 webhook payload ({webhookTopic: {topic}, ...})');
  const type = pax8EventType(p.webhookTopic.topic);
  return {
    source: 'pax8',
    type,
    subject: `Pax8 ${p.webhookTopic.topic}`,
    severity: 'info',
    entities: entitiesOf({ accountId: p.accountId, webhookId: p.webhookId }),
    keywords: keywordsOf(type.replace(/[._]/g, ' ')),
    fields: flatten(p),
    occurredAt: timeOf(p.sentAt, receivedAt),
  };
};

const NORMALIZERS: Record<string, Normalizer> = {
  pax8,
  autotask,
  halopsa: halo,
  'datto-rmm': dattoRmm,
  'datto-edr': dattoEdr,
  microsoft365: graph,
};

/** Normalise a payload of `source`; throws PayloadInvalidError with what is wrong. */
export function normalizePayload(source: string, payload: unknown, receivedAt: string): NormalizedEvent {
  return (NORMALIZERS[source] ?? generic(source))(payload, receivedAt);
}
