import { InvocationContext } from '@azure/functions';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { describe, expect, it } from 'vitest';
import { resolveBindingExpression, triggerMetadataFor } from '../../local/queue-runner';
import {
  complete,
  type DeadLetterForwarder,
  deadLetter,
  type ReceivedMessage,
  type Settlement,
} from '../../shared/bus/port';
import {
  isSdkMessageContext,
  LOCAL_SETTLEMENT_FLAG,
  queueTriggerHandler,
  receivedMessageFromTrigger,
  type SdkMessageActions,
  settlementFromResult,
  TriggerMetadataError,
} from '../../shared/bus/trigger';
import { correlationIdFrom, parsesAsNonString } from '../../shared/http/correlation';

/** triggerMetadata as the Node worker builds it from the Service Bus extension's binding data. */
const azureMetadata = {
  messageId: 'ev-7:validation:0:1',
  deliveryCount: 2,
  enqueuedTimeUtc: '2026-03-01T10:00:00.123Z',
  correlationId: 'corr-7',
  lockToken: '8b0f2c2e-1111-2222-3333-444455556666',
  sequenceNumber: 42,
  applicationProperties: { tenantId: 't1', attempt: 1, nested: { ignored: true } },
  userProperties: { tenantId: 't1', attempt: 1 },
};

const context = (triggerMetadata: Record<string, unknown>) =>
  new InvocationContext({ functionName: 'stage', triggerMetadata, logHandler: () => {} });

function recordingForwarder() {
  const calls: Array<{ queue: string; messageId: string; reason: string; description: string }> = [];
  const forwarder: DeadLetterForwarder = {
    async forwardToDeadLetter(queue, message, reason, description) {
      calls.push({ queue, messageId: message.messageId, reason, description });
    },
  };
  return { calls, forwarder: () => forwarder };
}

describe('receivedMessageFromTrigger', () => {
  it('maps the metadata the Functions host provides to a ReceivedMessage', () => {
    expect(receivedMessageFromTrigger({ eventId: 'ev-7' }, azureMetadata)).toEqual({
      body: { eventId: 'ev-7' },
      messageId: 'ev-7:validation:0:1',
      deliveryCount: 2,
      enqueuedTimeUtc: new Date('2026-03-01T10:00:00.123Z'),
      correlationId: 'corr-7',
      applicationProperties: { tenantId: 't1', attempt: 1 },
    });
  });

  it('falls back to userProperties (older extension versions) and defaults the delivery count to 1', () => {
    const m = receivedMessageFromTrigger('x', { messageId: 'a', userProperties: { k: 'v' } });
    expect(m.applicationProperties).toEqual({ k: 'v' });
    expect(m.deliveryCount).toBe(1);
    expect(m.correlationId).toBeUndefined();
  });

  it('refuses metadata without a message id (nothing to deduplicate or trace by)', () => {
    expect(() => receivedMessageFromTrigger({}, { deliveryCount: 1 })).toThrow(TriggerMetadataError);
    expect(() => receivedMessageFromTrigger({}, undefined)).toThrow(TriggerMetadataError);
  });

  it('round-trips what the local runner passes, including the Node worker casing of property names', () => {
    const sent: ReceivedMessage = {
      body: { a: 1 },
      messageId: 'm1',
      deliveryCount: 3,
      enqueuedTimeUtc: new Date('2026-01-02T03:04:05.000Z'),
      correlationId: 'c1',
      applicationProperties: { TenantId: 't9', DeadLetterReason: 'x', flag: true },
    };
    const meta = triggerMetadataFor(sent);
    expect(meta[LOCAL_SETTLEMENT_FLAG]).toBe(true);
    expect(receivedMessageFromTrigger(sent.body, meta)).toEqual({
      ...sent,
      applicationProperties: { tenantId: 't9', deadLetterReason: 'x', flag: true },
    });
  });
});

describe('metadata strings the Node worker JSON-parses', () => {
  it('takes scalars the worker made of a message id or correlation id back to strings instead of refusing the message', () => {
    for (const [sent, parsed] of [
      [true, 'true'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [12345678901234567000, '12345678901234567000'],
      [-1.5, '-1.5'],
    ] as const) {
      const m = receivedMessageFromTrigger({}, { ...azureMetadata, correlationId: sent, messageId: sent });
      expect(m.correlationId).toBe(parsed);
      expect(m.messageId).toBe(parsed);
    }
    // `null` parses to null: no correlation id, as when none was sent.
    expect(receivedMessageFromTrigger({}, { ...azureMetadata, correlationId: null }).correlationId).toBeUndefined();
  });

  it('the local runner hands metadata over parsed the same way, so the trigger meets what Azure gives it', () => {
    const sent: ReceivedMessage = {
      body: {},
      messageId: 'm1',
      deliveryCount: 1,
      enqueuedTimeUtc: new Date('2026-01-02T03:04:05.000Z'),
      correlationId: '1e400',
      applicationProperties: { TenantId: 't9', count: '42' },
    };
    const meta = triggerMetadataFor(sent);
    expect(meta['correlationId']).toBe(Number.POSITIVE_INFINITY);
    // Nested values travel as one JSON document: their strings stay strings.
    expect(meta['applicationProperties']).toEqual({ tenantId: 't9', count: '42' });
    expect(receivedMessageFromTrigger(sent.body, meta).correlationId).toBe('Infinity');
    expect(triggerMetadataFor({ ...sent, correlationId: 'true' })['correlationId']).toBe(true);
  });

  it('replaces a client-sent correlation id that the worker would turn into a non-string, on every route alike', () => {
    for (const value of ['1e400', 'true', 'false', 'null', '12345678901234567890', '-1', '0', '3.25']) {
      expect(parsesAsNonString(value)).toBe(true);
      const minted = correlationIdFrom(value);
      expect(minted).not.toBe(value);
      expect(parsesAsNonString(minted)).toBe(false);
    }
    for (const value of ['corr-7', '1.2.3', '01JABC', 'ev:validation:main:0', 'e5', 'Infinity', 'NaN']) {
      expect(correlationIdFrom(value)).toBe(value);
    }
  });
});

describe('queueTriggerHandler on the plain Azure binding (host completes on return, abandons on throw)', () => {
  it('forwards an explicit dead-letter to <queue>-deadletter, then lets the host complete the original', async () => {
    const { calls, forwarder } = recordingForwarder();
    const handler = queueTriggerHandler('validation', async () => deadLetter('validation_failed', 'ticketId missing'), {
      forwarder,
    });
    const result = await handler({ eventId: 'ev-7' }, context(azureMetadata));
    expect(calls).toEqual([
      {
        queue: 'validation',
        messageId: 'ev-7:validation:0:1',
        reason: 'validation_failed',
        description: 'ticketId missing',
      },
    ]);
    expect(result).toEqual(deadLetter('validation_failed', 'ticketId missing'));
  });

  it('does not forward on complete', async () => {
    const { calls, forwarder } = recordingForwarder();
    const handler = queueTriggerHandler('validation', async () => complete, { forwarder });
    expect(await handler({}, context(azureMetadata))).toEqual(complete);
    expect(calls).toEqual([]);
  });

  it('lets a handler error propagate, so the host abandons and redelivers', async () => {
    const { calls, forwarder } = recordingForwarder();
    const handler = queueTriggerHandler(
      'validation',
      async () => {
        throw new Error('vendor 503');
      },
      { forwarder },
    );
    await expect(handler({}, context(azureMetadata))).rejects.toThrow('vendor 503');
    expect(calls).toEqual([]);
  });

  it('leaves settlement to a host that says it applies the returned Settlement (the local runner)', async () => {
    const { calls, forwarder } = recordingForwarder();
    const handler = queueTriggerHandler('validation', async () => deadLetter('r', 'd'), { forwarder });
    const result = await handler({}, context({ ...azureMetadata, [LOCAL_SETTLEMENT_FLAG]: true }));
    expect(result).toEqual(deadLetter('r', 'd'));
    expect(calls).toEqual([]);
  });
});

describe('queueTriggerHandler with SDK binding (ServiceBusMessageContext)', () => {
  function sdkContext(messages: Array<Partial<ServiceBusReceivedMessage>>) {
    const calls: string[] = [];
    const actions: SdkMessageActions = {
      async complete(m) {
        calls.push(`complete ${String(m.messageId)}`);
      },
      async abandon(m) {
        calls.push(`abandon ${String(m.messageId)}`);
      },
      async deadletter(m, _props, reason, description) {
        calls.push(`deadletter ${String(m.messageId)} ${reason} / ${description}`);
      },
    };
    return { calls, input: { messages: messages as ServiceBusReceivedMessage[], actions } };
  }
  const sbMessage = (id: string, deliveryCount = 1): Partial<ServiceBusReceivedMessage> => ({
    messageId: id,
    body: { id },
    deliveryCount,
    enqueuedTimeUtc: new Date('2026-01-01T00:00:00Z'),
    applicationProperties: { tenantId: 't1', when: new Date('2026-01-01T00:00:00Z'), none: null },
  });

  it('recognises the SDK context and not a plain body', () => {
    expect(isSdkMessageContext(sdkContext([]).input)).toBe(true);
    expect(isSdkMessageContext({ messages: [], actions: {} })).toBe(false);
    expect(isSdkMessageContext({ eventId: 'x' })).toBe(false);
    expect(isSdkMessageContext(null)).toBe(false);
  });

  it('settles each message through the actions: complete, dead-letter with reason, abandon on throw', async () => {
    const { calls, input } = sdkContext([sbMessage('a'), sbMessage('b'), sbMessage('c', 4)]);
    const seen: ReceivedMessage[] = [];
    const handler = queueTriggerHandler('validation', async (message): Promise<Settlement> => {
      seen.push(message);
      if (message.messageId === 'b') return deadLetter('no_sop_matched', 'closest SOP: triage-v2');
      if (message.messageId === 'c') throw new Error('crash');
      return complete;
    });
    await expect(handler(input, context({}))).rejects.toThrow('crash');
    expect(calls).toEqual(['complete a', 'deadletter b no_sop_matched / closest SOP: triage-v2', 'abandon c']);
    expect(seen[2]).toMatchObject({ messageId: 'c', deliveryCount: 4, body: { id: 'c' } });
    expect(seen[0]!.applicationProperties).toEqual({ tenantId: 't1', when: '2026-01-01T00:00:00.000Z' });
  });
});

describe('local runner helpers', () => {
  it('reads a returned Settlement, and treats anything else as "no settlement"', () => {
    expect(settlementFromResult(complete)).toEqual(complete);
    expect(settlementFromResult(deadLetter('a', 'b'))).toEqual(deadLetter('a', 'b'));
    expect(settlementFromResult(undefined)).toBeUndefined();
    expect(settlementFromResult({ kind: 'deadLetter', reason: 'missing description' })).toBeUndefined();
  });

  it('resolves %AppSetting% queue names like the host, and names a missing setting', () => {
    expect(resolveBindingExpression('%STAGE_QUEUE%', { STAGE_QUEUE: 'validation' })).toBe('validation');
    expect(resolveBindingExpression('tool-call', {})).toBe('tool-call');
    expect(() => resolveBindingExpression('%MISSING%', {})).toThrow(/MISSING/);
  });
});
