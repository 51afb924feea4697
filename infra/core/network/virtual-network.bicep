// The virtual network of a deployment with vnetEnabled or staticEgress (main.bicep): one subnet the
// function app integrates with (Flex Consumption delegates it to Microsoft.App/environments and places
// its instances' outbound traffic there; with staticEgress a NAT gateway on it gives that traffic one
// static public address), one subnet for the private endpoints of storage, Key Vault and, on Premium,
// Service Bus (empty without vnetEnabled). Nothing else runs in it.

@description('Virtual network name.')
param name string

@description('Region of the network (the app\'s region).')
param location string

@description('Tags applied to the network.')
param tags object = {}

@description('Address space of the network.')
param addressPrefix string = '10.40.0.0/16'

@description('Subnet the app integrates with. Flex Consumption needs at least a /27; a /24 leaves room to scale out (one address per instance).')
param appSubnetPrefix string = '10.40.1.0/24'

@description('Subnet for the private endpoints.')
param privateEndpointSubnetPrefix string = '10.40.2.0/24'

@description('NAT gateway the app subnet sends its internet traffic through (staticEgress); empty: none.')
param natGatewayId string = ''

resource network 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
          privateEndpointNetworkPolicies: 'Disabled'
          privateLinkServiceNetworkPolicies: 'Enabled'
          natGateway: empty(natGatewayId) ? null : {
            id: natGatewayId
          }
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
          privateLinkServiceNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

output id string = network.id
output name string = network.name
output appSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', network.name, 'app')
output privateEndpointSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', network.name, 'private-endpoints')
