// A private DNS zone (privatelink.<service>) linked to the deployment's virtual network, so the app
// resolves a service's public name to its private endpoint's address. One zone per service kind;
// the private endpoints register their records in it (core/network/private-endpoint.bicep).

@description('Zone name, e.g. privatelink.blob.core.windows.net.')
param name string

@description('Virtual network the zone is linked to.')
param virtualNetworkId string

@description('Tags applied to the zone.')
param tags object = {}

resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: name
  location: 'global'
  tags: tags
}

resource link 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: zone
  name: 'to-app-network'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: virtualNetworkId
    }
  }
}

output id string = zone.id
output name string = zone.name
