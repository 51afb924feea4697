import { depsFromServices } from '../app/services';
import { outboundDeps } from '../outbound/deps';
import type { ErasureDeps } from './payloads';

/** The audit log the erasure route writes to and the outbound tables it erases deliveries in, once per Services instance. */
export const erasureDeps: () => ErasureDeps = depsFromServices((svc) => ({
  audit: svc.audit,
  outbound: outboundDeps(),
}));
