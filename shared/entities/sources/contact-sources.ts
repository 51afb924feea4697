import { autotaskContacts } from './autotask-contacts';
import type { ContactSource } from './contact-source';
import { haloContacts } from './halo-contacts';
import { itglueContacts } from './itglue-contacts';
import { microsoft365Users } from './microsoft365-users';
import { pax8Contacts } from './pax8-contacts';

/** The products entity sync reads contacts from (docs/entity-sync.md, "Contacts"): one line each. */
const SOURCES: readonly ContactSource[] = [
  haloContacts,
  autotaskContacts,
  itglueContacts,
  pax8Contacts,
  microsoft365Users,
];

export function contactSourceFor(vendor: string): ContactSource | undefined {
  return SOURCES.find((s) => s.vendor === vendor);
}

export const CONTACT_VENDORS: readonly string[] = SOURCES.map((s) => s.vendor);
