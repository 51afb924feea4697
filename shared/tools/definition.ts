import type { z } from 'zod';
import type { Connector, VendorId, VendorSession } from '../vendors/contract';

/**
 * One tool a SOP step can call: a vendor action with a typed argument schema. The catalog
 * (catalog.ts) lists every tool; the tool-call stage opens an integration session for the tool's
 * vendor and calls `execute`. Arguments arrive already rendered from the SOP's templates.
 */

/** What a tool call produced: a line for the timeline and a few flat values later steps may use. */
export interface ToolResult {
  summary: string;
  output: Record<string, string | number | boolean | null>;
  /**
   * A secret the tool fetched for its caller (an IT Glue password). It lives only in this return
   * value: the pipeline records `summary` and `output` (agent runs, the ledger, the timeline) and
   * never this field, so the value is stored nowhere (docs/tools.md, "Secrets").
   */
  secret?: { label: string; value: string };
}

export interface ToolDefinition {
  /** `<vendor>.<object>.<verb>`, e.g. `autotask.ticket.add_note`. */
  id: string;
  vendor: VendorId;
  title: string;
  description: string;
  /** The argument schema (a strict object). Its input side is what GET /api/v1/tools shows. */
  args: z.ZodObject;
  /** Changes something at the vendor: goes through the vendor-write ledger (docs/design.md §6.6). */
  writes: boolean;
  /** Never runs without a human decision, whatever the SOP says (e.g. isolating a host). */
  alwaysRequiresApproval: boolean;
  /** For a write whose outcome is unknown: what the admin should look at in the vendor's console. */
  checkAtVendor(args: Record<string, unknown>): string;
  /** Parses the arguments and the session's credentials/config with their schemas, then calls the vendor. */
  execute(session: VendorSession<unknown, unknown>, args: unknown): Promise<ToolResult>;
}

interface ToolSpec<S extends z.ZodObject, C, K> {
  id: string;
  vendor: VendorId;
  title: string;
  description: string;
  args: S;
  writes: boolean;
  alwaysRequiresApproval?: boolean;
  checkAtVendor(args: z.output<S>): string;
  run(session: VendorSession<C, K>, args: z.output<S>): Promise<ToolResult>;
}

/**
 * Builds a ToolDefinition whose `execute` is typed end to end: the arguments by the tool's schema,
 * the session by the vendor connector's own schemas (a session built by the integrations code
 * already passed them; parsing again only recovers the types, and is idempotent).
 */
export function defineTool<S extends z.ZodObject, C, K>(
  connector: Connector<C, K>,
  spec: ToolSpec<S, C, K>,
): ToolDefinition {
  return {
    id: spec.id,
    vendor: spec.vendor,
    title: spec.title,
    description: spec.description,
    args: spec.args,
    writes: spec.writes,
    alwaysRequiresApproval: spec.alwaysRequiresApproval ?? false,
    checkAtVendor: (args) => {
      const parsed = spec.args.safeParse(args);
      return parsed.success ? spec.checkAtVendor(parsed.data) : `the ${spec.title.toLowerCase()} request`;
    },
    execute: async (session, args) => {
      const typed: VendorSession<C, K> = {
        ...session,
        credentials: connector.credentialsSchema.parse(session.credentials),
        config: connector.configSchema.parse(session.config),
      };
      return spec.run(typed, spec.args.parse(args));
    },
  };
}
