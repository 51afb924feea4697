import { autotaskContacts } from './autotask-contacts';
import type { ContactSource } from './contact-source';
import { haloContacts } from './halo-contacts';

/** The products entity sync reads contacts from (docs/entity-sync.md, "Contacts"): one line each. */
const SOURCES: readonly ContactSource[] = [haloContacts, autotaskContacts];

export function contactSourceFor(vendor: string): ContactSource | undefined {
  return SOURCES.find((s) => s.vendor === vendor);
}

export const CONTACT_VENDORS: readonly string[] = SOURCES.map((s) => s.vendor);
