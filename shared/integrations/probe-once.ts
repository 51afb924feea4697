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
    return { classification: classifySuccess(connector, success.expiries ?? [], nowMs()), latencyMs, success };
  } catch (error) {
    return { classification: classifyFailure(connector, error), latencyMs: Math.max(0, Math.round(nowMs() - started)) };
  }
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
  };
}
