import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingSpecs } from '../../shared/config/settings';
import { blockAfter, declared, file, fragment, objectEntries, repoRoot } from '../support/bicep-text';

/**
 * Static egress (main.bicep's staticEgress), read as text the way the other infra tests read the
 * templates: off by default; when on, the app integrates with the virtual network (alone or with
 * vnetEnabled), its subnet is delegated to Microsoft.App/environments and sends internet traffic
 * through a Standard NAT gateway with a Standard static public IP, and that address reaches the
 * app as HUB_EGRESS_IPS and the deployment's outputs (docs/deploy.md, "Static egress").
 */

const main = file('main.bicep');
const egressModule = file('app/static-egress.bicep');
const vnetModule = file('core/network/virtual-network.bicep');
const networkingModule = file('app/private-networking.bicep');
const parametersJson = JSON.parse(readFileSync(join(repoRoot, 'infra', 'main.parameters.json'), 'utf8')) as {
  parameters: Record<string, { value: string }>;
};
const deployDoc = readFileSync(join(repoRoot, 'docs', 'deploy.md'), 'utf8');

function moduleBlock(name: string, path: string): { header: string; params: Map<string, string> } {
  const escaped = path.replace(/[/.]/g, (c) => `\\${c}`);
  const header = new RegExp(`^module ${name} '${escaped}' = (?:if \\(([^)]*)\\) )?\\{`, 'm').exec(main.code);
  if (!header) throw new Error(`module ${name} not found`);
  const params = objectEntries(
    blockAfter(main, new RegExp(`^module ${name} '${escaped}' = (?:if \\([^)]*\\) )?\\{[\\s\\S]*?\\bparams: \\{`, 'm')),
  );
  return { header: header[1] ?? '', params };
}

describe('infra: static egress (staticEgress)', () => {
  it('is a parameter, off by default, mapped from the azd environment and documented', () => {
    expect(main.code).toMatch(/^param staticEgress bool = false$/m);
    expect(parametersJson.parameters.staticEgress?.value).toBe(`\${STATIC_EGRESS=false}`);
    expect(deployDoc).toContain('STATIC_EGRESS');
    expect(deployDoc).toMatch(/^## Static egress \(`STATIC_EGRESS`\)$/m);
  });

  it('builds the virtual network for vnetEnabled or staticEgress, and the private endpoints only for vnetEnabled', () => {
    expect(main.code).toMatch(/^var appNetworkEnabled = vnetEnabled \|\| staticEgress$/m);
    const network = moduleBlock('network', 'core/network/virtual-network.bicep');
    expect(network.header).toBe('appNetworkEnabled');
    expect(network.params.get('natGatewayId')).toBe("staticEgress ? staticEgressGateway.outputs.natGatewayId : ''");
    const endpoints = moduleBlock('privateNetworking', 'app/private-networking.bicep');
    expect(endpoints.header).toBe('vnetEnabled');
    expect(endpoints.params.get('virtualNetworkId')).toBe('network.outputs.id');
    expect(endpoints.params.get('privateEndpointSubnetId')).toBe('network.outputs.privateEndpointSubnetId');
    // The private networking module no longer builds a network of its own: there is one.
    expect(networkingModule.code).not.toMatch(/^module \w+ '[^']*virtual-network\.bicep'/m);
    expect(main.code.match(/'core\/network\/virtual-network\.bicep'/g)?.length).toBe(1);
    expect(moduleBlock('app', 'app/function.bicep').params.get('virtualNetworkSubnetId')).toBe(
      "appNetworkEnabled ? network.outputs.appSubnetId : ''",
    );
  });

  it('the gateway module is added only with staticEgress', () => {
    const gateway = moduleBlock('staticEgressGateway', 'app/static-egress.bicep');
    expect(gateway.header).toBe('staticEgress');
    expect(gateway.params.get('resourceToken')).toBe('resourceToken');
  });

  it('a Standard NAT gateway with one Standard, static, IPv4 public address', () => {
    const [ip] = declared('Microsoft.Network/publicIPAddresses');
    const [gateway] = declared('Microsoft.Network/natGateways');
    expect(declared('Microsoft.Network/publicIPAddresses').map((r) => r.file)).toEqual([egressModule]);
    expect(declared('Microsoft.Network/natGateways').map((r) => r.file)).toEqual([egressModule]);
    const ipBody = fragment('ip', ip?.body ?? '');
    expect(objectEntries(blockAfter(ipBody, /\bsku: \{/)).get('name')).toBe("'Standard'");
    const ipProps = objectEntries(blockAfter(ipBody, /\bproperties: \{/));
    expect(ipProps.get('publicIPAllocationMethod')).toBe("'Static'");
    expect(ipProps.get('publicIPAddressVersion')).toBe("'IPv4'");
    const gatewayBody = fragment('gateway', gateway?.body ?? '');
    expect(objectEntries(blockAfter(gatewayBody, /\bsku: \{/)).get('name')).toBe("'Standard'");
    expect(blockAfter(gatewayBody, /\bpublicIpAddresses: \[/)).toMatch(/id: publicIp\.id/);
    expect(egressModule.code).toMatch(/^output natGatewayId string = natGateway\.id$/m);
    expect(egressModule.code).toMatch(/^output publicIpAddress string = publicIp\.properties\.ipAddress$/m);
  });

  it('the app subnet is delegated to Microsoft.App/environments and takes the NAT gateway when given one', () => {
    expect(vnetModule.code).toMatch(/^param natGatewayId string = ''$/m);
    const [network] = declared('Microsoft.Network/virtualNetworks');
    const app = /name: 'app'[\s\S]*?(?=\n {6}\{\n {8}name: 'private-endpoints')/.exec(network?.body ?? '')?.[0] ?? '';
    expect(app).toMatch(/serviceName: 'Microsoft\.App\/environments'/);
    expect(app).toMatch(/natGateway: empty\(natGatewayId\) \? null : \{\s*id: natGatewayId\s*\}/);
    // Only the app's subnet egresses through it; the private endpoints' subnet has no gateway.
    const endpoints = /name: 'private-endpoints'[\s\S]*$/.exec(network?.body ?? '')?.[0] ?? '';
    expect(endpoints).not.toMatch(/natGateway/);
  });

  it('the address reaches the app as HUB_EGRESS_IPS (empty when off) and is an output', () => {
    const appSettings = objectEntries(blockAfter(main, /^var appSettings = \{/m));
    expect(appSettings.get('HUB_EGRESS_IPS')).toBe("staticEgress ? staticEgressGateway.outputs.publicIpAddress : ''");
    expect(main.code).toMatch(
      /^output HUB_EGRESS_IPS string = staticEgress \? staticEgressGateway\.outputs\.publicIpAddress : ''$/m,
    );
    const schema = settingSpecs.HUB_EGRESS_IPS.schema;
    expect(schema.parse('20.1.2.3')).toEqual(['20.1.2.3']);
    expect(schema.parse('20.1.2.3, 2001:db8::1')).toEqual(['20.1.2.3', '2001:db8::1']);
    expect(schema.parse(undefined)).toBeUndefined();
    expect(schema.safeParse('not-an-address').success).toBe(false);
    expect(schema.safeParse('20.1.2.3/32').success).toBe(false);
  });
});
