import { describe, expect, it } from 'vitest';
import {
  assertQueueName,
  deadLetterEnvelope,
  hideSeconds,
  InvalidQueueNameError,
  MAX_SEND_BYTES,
  MAX_VISIBILITY_SECONDS,
  MessageTooLargeError,
  newEnvelope,
  parseEnvelope,
  scheduledDelayMs,
  serializeEnvelope,
  toDeadLetteredMessage,
  toReceivedMessage,
} from '../../shared/bus/envelope';
import { deadLetterInfo, deadLetterQueueName } from '../../shared/bus/port';
import { toServiceBusMessage } from '../../shared/bus/service-bus-bus';
import { maxDeliveryDescription } from '../../shared/bus/storage-queue-lock';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('envelope', () => {
  it('round-trips every SendOptions field and stamps a scheduled message with its activation time', () => {
    const scheduled = new Date(NOW + 90_000);
    const envelope = newEnvelope(
      { eventId: 'ev1' },
      {
        messageId: 'ev1:validation:0:1',
        correlationId: 'c1',
        scheduledEnqueueTimeUtc: scheduled,
        applicationProperties: { tenantId: 't1', attempt: 2, replay: true },
      },
      NOW,
    );
    const parsed = parseEnvelope(serializeEnvelope(envelope));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(toReceivedMessage(parsed.envelope, 1)).toEqual({
      body: { eventId: 'ev1' },
      messageId: 'ev1:validation:0:1',
      deliveryCount: 1,
      enqueuedTimeUtc: scheduled,
      correlationId: 'c1',
      applicationProperties: { tenantId: 't1', attempt: 2, replay: true },
    });
  });

  it('rejects text that is not an envelope, saying why', () => {
    expect(parseEnvelope('nope')).toMatchObject({ ok: false, error: expect.stringContaining('not JSON') });
    expect(parseEnvelope('{"v":1}')).toMatchObject({ ok: false, error: expect.stringContaining('messageId') });
  });

  it('refuses an envelope over the send limit and points at blobs', () => {
    const big = newEnvelope('x'.repeat(MAX_SEND_BYTES), { messageId: 'big' }, NOW);
    expect(() => serializeEnvelope(big, MAX_SEND_BYTES)).toThrow(MessageTooLargeError);
    expect(() => serializeEnvelope(big, MAX_SEND_BYTES)).toThrow(/blob/);
  });

  it('dead-letter copies carry reason and description where Service Bus keeps them', () => {
    const original = newEnvelope({ a: 1 }, { messageId: 'm', applicationProperties: { tenantId: 't' } }, NOW);
    const dl = deadLetterEnvelope(
      original,
      { reason: 'r', description: 'd', source: 'validation', deliveryCount: 3 },
      NOW,
    );
    expect(dl.applicationProperties).toEqual({ tenantId: 't', DeadLetterReason: 'r', DeadLetterErrorDescription: 'd' });
    const message = toDeadLetteredMessage(dl, 1);
    expect(message).toMatchObject({ deadLetterReason: 'r', deadLetterErrorDescription: 'd', deliveryCount: 3 });
    expect(deadLetterInfo(message)).toEqual({ reason: 'r', description: 'd' });
    // As a Node trigger sees it (first letter lower-cased).
    expect(
      deadLetterInfo({
        ...message,
        applicationProperties: { deadLetterReason: 'r2', deadLetterErrorDescription: 'd2' },
      }),
    ).toEqual({ reason: 'r2', description: 'd2' });
    expect(deadLetterInfo(toReceivedMessage(original, 1))).toBeUndefined();
  });

  it('writes only what the broker writes for MaxDeliveryCountExceeded: the count, never an application error', () => {
    expect(maxDeliveryDescription(5)).toBe('Message could not be consumed after 5 delivery attempts.');
  });
});

describe('scheduling arithmetic', () => {
  it('rounds delays up to whole seconds so a message never arrives early', () => {
    expect(hideSeconds(0)).toBe(0);
    expect(hideSeconds(-5)).toBe(0);
    expect(hideSeconds(1)).toBe(1);
    expect(hideSeconds(2_000)).toBe(2);
    expect(hideSeconds(2_001)).toBe(3);
  });

  it('hides for at most the 7-day visibility limit, or less when asked; the receive re-checks the rest', () => {
    const tenDays = 10 * 24 * 3600 * 1000;
    expect(hideSeconds(tenDays)).toBe(MAX_VISIBILITY_SECONDS);
    expect(hideSeconds(3_600_000, 1)).toBe(1);
    expect(hideSeconds(3_600_000, 0)).toBe(1); // never 0 for a message that is not due
  });

  it('measures the delay on the injected clock and compresses it by the time scale', () => {
    expect(scheduledDelayMs(undefined, NOW, 1)).toBe(0);
    expect(scheduledDelayMs(NOW - 1000, NOW, 1)).toBe(0);
    expect(scheduledDelayMs(NOW + 60_000, NOW, 1)).toBe(60_000);
    expect(scheduledDelayMs(NOW + 60_000, NOW, 60)).toBe(1_000);
  });
});

describe('queue names', () => {
  it('accepts names valid on both Service Bus and storage queues', () => {
    for (const name of ['validation', 'sop-matching', 'agent-dispatch', 'tool-call', 'health-probes']) {
      expect(() => assertQueueName(name)).not.toThrow();
      expect(() => assertQueueName(deadLetterQueueName(name))).not.toThrow();
    }
  });

  it('rejects names a storage queue cannot have', () => {
    for (const name of ['Validation', 'ab', 'a--b', '-a', 'a-', 'a_b', 'a.b', 'x'.repeat(64)]) {
      expect(() => assertQueueName(name)).toThrow(InvalidQueueNameError);
    }
  });
});

describe('Service Bus adapter message mapping', () => {
  it('sets message id, schedule, correlation id and application properties', () => {
    const at = new Date(NOW + 60_000);
    expect(
      toServiceBusMessage(
        { eventId: 'e' },
        {
          messageId: 'e:tool-call:1:2',
          scheduledEnqueueTimeUtc: at,
          correlationId: 'c',
          applicationProperties: { a: 1 },
        },
      ),
    ).toEqual({
      body: { eventId: 'e' },
      contentType: 'application/json',
      messageId: 'e:tool-call:1:2',
      scheduledEnqueueTimeUtc: at,
      correlationId: 'c',
      applicationProperties: { a: 1 },
    });
    expect(toServiceBusMessage(null, { messageId: 'm' })).toEqual({
      body: null,
      contentType: 'application/json',
      messageId: 'm',
    });
  });
});
