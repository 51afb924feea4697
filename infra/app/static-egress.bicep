// Everything staticEgress adds (main.bicep): a Standard public IP with a static address and a NAT
// gateway that uses it. main.bicep attaches the gateway to the app's integration subnet
// (core/network/virtual-network.bicep), so every outbound connection of the app's instances to the
// internet (vendor APIs, outbound webhooks) leaves from this one address, which MSPs can put on the
// vendors' IP allow-lists. The address is passed to the app as HUB_EGRESS_IPS and answered by
// GET /api/v1/meta/egress (docs/deploy.md, "Static egress").

@description('Region of the gateway and its address (the app\'s region).')
param location string

@description('Tags applied to both resources.')
param tags object = {}

@description('Name suffix shared by the resources (the resource token).')
param resourceToken string

@description('Minutes an idle outbound flow keeps its SNAT port (4 is the platform default; 4-120).')
@minValue(4)
@maxValue(120)
param idleTimeoutInMinutes int = 4

// A NAT gateway takes Standard public IPs only, and only a static allocation keeps the address
// across restarts and re-deployments (the address an allow-list names must never change).
resource publicIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: 'pip-egress-${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  properties: {
    publicIPAddressVersion: 'IPv4'
    publicIPAllocationMethod: 'Static'
    idleTimeoutInMinutes: idleTimeoutInMinutes
  }
}

resource natGateway 'Microsoft.Network/natGateways@2024-05-01' = {
  name: 'ng-egress-${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: idleTimeoutInMinutes
    publicIpAddresses: [
      {
        id: publicIp.id
      }
    ]
  }
}

output natGatewayId string = natGateway.id
output publicIpAddress string = publicIp.properties.ipAddress
