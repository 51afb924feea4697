import { z } from 'zod';

/**
 * What Pax8 posts to a webhook (its Webhooks API description, `WebhookPayload`): no signature and
 * no `type`; the subscription's topic is in `webhookTopic.topic` and the event in `payloadData`.
 * Pax8 authenticates a delivery only with the static `Authorization` header value set on the
 * webhook (`CreateWebhook.authorization`), which the hub checks against the webhook secret
 * (shared/inbound/verify.ts). Pure: no I/O, so the pipeline can load it cheaply.
 */
export const pax8WebhookPayloadSchema = z.looseObject({
  accountId: z.string(),
  url: z.string(),
  webhookId: z.string(),
  sentAt: z.string(),
  webhookTopic: z.looseObject({
    id: z.string(),
    topic: z.string().min(1).max(200),
    filters: z.array(z.unknown()),
  }),
  payloadData: z.record(z.string(), z.unknown()).optional(),
});
export type Pax8WebhookPayload = z.infer<typeof pax8WebhookPayloadSchema>;

/**
 * The hub's event type for a Pax8 topic: `pax8.` and the topic in lower case with every run of
 * other characters as `_` (`SUBSCRIPTION_CREATED` → `pax8.subscription_created`,
 * `subscription.updated` → `pax8.subscription.updated`). Topic names come from Pax8's
 * topic-definitions endpoint at run time, so no fixed list is assumed.
 */
export function pax8EventType(topic: string): string {
  const slug = topic
    .toLowerCase()
    .split('.')
    .map((part) => part.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, ''))
    .filter((part) => part !== '')
    .join('.');
  return `pax8.${slug || 'event'}`;
}
