import { describe, expect, it } from 'vitest';
import { normalizedEventSchema } from '../../shared/events/contract';
import { normalizePayload, PayloadInvalidError } from '../../shared/pipeline/validation/normalize';

const at = '2026-01-01T00:00:00.000Z';
const norm = (source: string, payload: unknown) => normalizedEventSchema.parse(normalizePayload(source, payload, at));

describe('normalizePayload', () => {
  it('Halo PSA: a new-ticket webhook is ticket.created with the ticket and client refs', () => {
    const e = norm('halopsa', {
      event: 'New Ticket',
      ticket: { id: 55, summary: 'Printer offline', priority_name: 'High', client_id: 3 },
    });
    expect(e).toMatchObject({
      source: 'halopsa',
      type: 'ticket.created',
      subject: 'Printer offline',
      severity: 'high',
    });
    expect(e.entities).toEqual({ ticketId: '55', companyId: '3' });
    expect(e.keywords).toEqual(expect.arrayContaining(['printer', 'offline']));
  });

  it('Datto RMM: an alert is alert.triggered with device refs; a resolved one alert.resolved', () => {
    const e = norm('datto-rmm', {
      alertUid: 'a-1',
      alertMessage: 'Disk usage 97% on C:',
      priority: 'Critical',
      deviceUid: 'd-9',
      hostname: 'SRV01',
    });
    expect(e).toMatchObject({
      type: 'alert.triggered',
      severity: 'critical',
      entities: { alertId: 'a-1', deviceId: 'd-9', deviceName: 'SRV01' },
    });
    expect(norm('datto-rmm', { alertUid: 'a-1', alertMessage: 'x', resolved: true }).type).toBe('alert.resolved');
  });

  it('Datto EDR: an alert defaults to high severity and keeps the agent id', () => {
    const e = norm('datto-edr', { id: 'x1', name: 'Ransomware behaviour', agentId: 'ag-1', hostname: 'WS-7' });
    expect(e).toMatchObject({
      type: 'alert.triggered',
      severity: 'high',
      entities: { alertId: 'x1', agentId: 'ag-1', hostName: 'WS-7' },
    });
  });

  it('Graph: a user change notification is user.updated, and clientState never reaches the fields', () => {
    const e = norm('microsoft365', {
      value: [
        {
          subscriptionId: 's',
          changeType: 'updated',
          resource: 'users/u-1',
          clientState: 'whsec_secret',
          tenantId: 't',
        },
      ],
    });
    expect(e).toMatchObject({ type: 'user.updated', entities: { userId: 'u-1', tenantId: 't', subscriptionId: 's' } });
    expect(JSON.stringify(e)).not.toContain('whsec_secret');
  });

  it('generic and Pax8: a dotted type is required; eventType is accepted', () => {
    expect(norm('generic', { type: 'invoice.created', subject: 'Invoice 7', keywords: ['Billing'] })).toMatchObject({
      type: 'invoice.created',
      subject: 'Invoice 7',
      keywords: expect.arrayContaining(['invoice', 'billing']),
    });
    expect(norm('pax8', { eventType: 'company.updated', data: { id: 1 } }).type).toBe('company.updated');
    expect(() => normalizePayload('generic', { subject: 'x' }, at)).toThrow(PayloadInvalidError);
  });

  it('Autotask: a payload without Action/EntityType/Id is refused with what is missing', () => {
    expect(() => normalizePayload('autotask', { Guid: 'g' }, at)).toThrow(/Action/);
  });
});
