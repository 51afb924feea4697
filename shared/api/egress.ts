import { z } from 'zod';

/**
 * What GET /api/v1/meta/egress answers: the addresses an MSP puts on a vendor's IP allow-list
 * (Autotask, Datto RMM, IT Glue can restrict API access by source IP), or a plain statement that
 * this deployment's outbound addresses are not static. The addresses come from HUB_EGRESS_IPS, which
 * infra/main.bicep sets from the NAT gateway's static public IP when staticEgress is on
 * (docs/deploy.md, "Static egress"); the settings schema has already parsed them.
 */
export const egressSchema = z.discriminatedUnion('static', [
  z.object({
    static: z.literal(true),
    addresses: z.array(z.string()).min(1).describe('Every public IP address the hub connects to vendors from.'),
  }),
  z.object({
    static: z.literal(false),
    explanation: z.string(),
  }),
]);
export type Egress = z.infer<typeof egressSchema>;

export const NOT_STATIC_EXPLANATION =
  "This deployment has no static egress: its outbound connections leave from the platform's shared addresses, which can change. Do not allow-list them; deploy with staticEgress (a NAT gateway with a static public IP) to get one fixed address.";

export function egressOf(addresses: readonly string[] | undefined): Egress {
  if (!addresses || addresses.length === 0) return { static: false, explanation: NOT_STATIC_EXPLANATION };
  return { static: true, addresses: [...new Set(addresses)] };
}
