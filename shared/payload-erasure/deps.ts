import { depsFromServices } from '../app/services';
import type { ErasureDeps } from './payloads';

/** The audit log the erasure route writes to, built once per Services instance. */
export const erasureDeps: () => ErasureDeps = depsFromServices((svc) => ({ audit: svc.audit }));
