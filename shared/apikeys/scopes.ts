import { z } from 'zod';

/** Scopes an API key can carry (DESIGN §5). `admin` implies every other scope. */
export const SCOPES = [
  'integrations:read',
  'integrations:write',
  'webhooks:read',
  'webhooks:write',
  'events:read',
  'events:replay',
  'subscriptions:read',
  'subscriptions:write',
  'sync:read',
  'sync:write',
  'apikeys:write',
  'admin',
] as const;

export const scopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof scopeSchema>;

export function grants(held: readonly Scope[], required: Scope): boolean {
  return held.includes('admin') || held.includes(required);
}
