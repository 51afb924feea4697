import { z } from 'zod';

/**
 * What Graph allows on the subscriptions the hub creates, and the lifecycle notifications it sends
 * about them (docs/vendors.md "Microsoft 365").
 *
 * Change types per resource: Graph refuses a subscription whose `changeType` the resource does not
 * support (users and groups: `updated` and `deleted`; a new user shows as an `updated` of the
 * collection). Checking it here turns Graph's 400 into a clear refusal before anything is sent.
 */
export const GRAPH_CHANGE_TYPES = {
  users: ['updated', 'deleted'],
  groups: ['updated', 'deleted'],
} as const satisfies Record<string, readonly string[]>;
export type GraphSubscribable = keyof typeof GRAPH_CHANGE_TYPES;

/** The application permission each subscribable resource needs (Graph's subscription docs). */
export const GRAPH_SUBSCRIPTION_PERMISSIONS: Record<GraphSubscribable, string> = {
  users: 'User.Read.All',
  groups: 'Group.Read.All',
};

/** `users`, `/users`, `users/{id}` → `users`; anything the hub does not subscribe to → undefined. */
export function subscribableResource(resource: string): GraphSubscribable | undefined {
  const match = /^\/?(users|groups)(\/[^/?#\s]+)?$/.exec(resource.trim());
  return match ? (match[1] as GraphSubscribable) : undefined;
}

export type SubscriptionCheck = { ok: true } | { ok: false; field: 'resource' | 'changeType'; message: string };

/** Checks a resource and a comma-separated changeType the way Graph will. */
export function checkGraphSubscription(resource: string, changeType: string): SubscriptionCheck {
  const kind = subscribableResource(resource);
  if (!kind) {
    return {
      ok: false,
      field: 'resource',
      message: `The hub subscribes to Graph resources ${Object.keys(GRAPH_CHANGE_TYPES).join(', ')} (or one item of them, e.g. users/{id}); "${resource}" is not one of them.`,
    };
  }
  const allowed: readonly string[] = GRAPH_CHANGE_TYPES[kind];
  const asked = changeType.split(',').map((t) => t.trim());
  const wrong = asked.filter((t) => !allowed.includes(t));
  if (asked.length === 0 || wrong.length > 0 || new Set(asked).size !== asked.length) {
    return {
      ok: false,
      field: 'changeType',
      message: `Graph supports changeType ${allowed.join(', ')} on ${kind} (comma-separated, each once); "${changeType}" is not accepted.`,
    };
  }
  return { ok: true };
}

/**
 * Graph's lifecycle notifications (sent to `lifecycleNotificationUrl`, which the hub sets to the
 * same receive URL): each item names its subscription and carries our clientState, like change
 * notifications, plus `lifecycleEvent`.
 */
export const GRAPH_LIFECYCLE_EVENTS = ['reauthorizationRequired', 'subscriptionRemoved', 'missed'] as const;
export type GraphLifecycleEvent = (typeof GRAPH_LIFECYCLE_EVENTS)[number];

const lifecycleItem = z.object({
  subscriptionId: z.string().min(1).max(200),
  lifecycleEvent: z.enum(GRAPH_LIFECYCLE_EVENTS),
});
export type GraphLifecycleNotice = z.infer<typeof lifecycleItem>;

/**
 * The lifecycle notices of a body whose every item has a `lifecycleEvent`; undefined for a body
 * of change notifications (those become events). A lifecycle event the hub does not know is not
 * a lifecycle notice the hub acts on: the body is then handled as change notifications.
 */
export function readGraphLifecycle(parsed: unknown): GraphLifecycleNotice[] | undefined {
  const value = (parsed as { value?: unknown } | null)?.value;
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (!value.every((item) => typeof (item as { lifecycleEvent?: unknown } | null)?.lifecycleEvent === 'string')) {
    return undefined;
  }
  const read = z.array(lifecycleItem).safeParse(value);
  return read.success ? read.data : undefined;
}
