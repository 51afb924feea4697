import { nowMs } from '../clock';
import type { Connector, ProbeSuccess, VendorSession } from '../vendors/contract';
import type { TestResult } from './api-schemas';
import { type Classification, classifyFailure, classifySuccess } from './classify';

/** One probe call and what it means; never retries (the caller decides, see classify.ts). */
export interface ProbeRun {
  classification: Classification;
  latencyMs: number;
  success?: ProbeSuccess<unknown>;
}

export async function probeOnce(connector: Connector, session: VendorSession<unknown, unknown>): Promise<ProbeRun> {
  const started = nowMs();
  try {
    const success = await connector.probe(session);
    const latencyMs = Math.max(0, Math.round(nowMs() - started));
    return {
      classification: classifySuccess(connector, success.expiries ?? [], nowMs(), success.missingScopes),
      latencyMs,
      success,
    };
  } catch (error) {
    const classification = classifyFailure(connector, error);
    return {
      classification: { ...classification, vendorMessage: withoutSecrets(classification.vendorMessage, session) },
      latencyMs: Math.max(0, Math.round(nowMs() - started)),
    };
  }
}

export const ECHOED_SECRET = '[redacted]';

/**
 * The vendor's message is kept verbatim except for the credentials themselves: some vendors echo
 * the key or user they refused, and the message travels to the status page, the history table and
 * the test result (docs/design.md §10.1: never in a response).
 */
function withoutSecrets(message: string | null, session: VendorSession<unknown, unknown>): string | null {
  if (!message || typeof session.credentials !== 'object' || session.credentials === null) return message;
  let out = message;
  for (const value of Object.values(session.credentials)) {
    // Very short values would redact ordinary words; credentials are never that short.
    if (typeof value === 'string' && value.length >= 6) out = out.split(value).join(ECHOED_SECRET);
  }
  return out;
}

export function toTestResult(run: ProbeRun): TestResult {
  const c = run.classification;
  return {
    ok: run.success !== undefined,
    status: c.state,
    latencyMs: run.latencyMs,
    vendorStatus: c.vendorStatus,
    vendorMessage: c.vendorMessage,
    hint: c.hint,
    ...(run.success?.quota ? { quota: run.success.quota } : {}),
    ...(run.success?.expiries && run.success.expiries.length > 0 ? { expiries: run.success.expiries } : {}),
    // What the test learned (IT Glue's region, Autotask's zone): an unsaved test says so, too.
    ...(run.success?.resolvedConfig ? { detectedConfig: run.success.resolvedConfig as Record<string, unknown> } : {}),
    ...(run.success?.notes && run.success.notes.length > 0 ? { notes: run.success.notes } : {}),
    ...(run.success?.missingScopes && run.success.missingScopes.length > 0
      ? { missingScopes: run.success.missingScopes }
      : {}),
  };
}
