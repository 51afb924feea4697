// One private endpoint: a network interface in the private-endpoints subnet that reaches one
// sub-resource (groupId: blob, queue, table, vault, namespace) of one resource, with its DNS record in
// the matching private DNS zone.

@description('Private endpoint name.')
param name string

@description('Region (the network\'s).')
param location string

@description('Tags applied to the endpoint.')
param tags object = {}

@description('Subnet the endpoint\'s interface lives in.')
param subnetId string

@description('Resource the endpoint connects to.')
param targetResourceId string

@description('Sub-resource of the target: blob, queue, table, vault or namespace.')
@allowed([
  'blob'
  'queue'
  'table'
  'vault'
  'namespace'
])
param groupId string

@description('Private DNS zone that receives the endpoint\'s A record.')
param privateDnsZoneId string

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: targetResourceId
          groupIds: [
            groupId
          ]
        }
      }
    ]
  }
}

resource dnsGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: groupId
        properties: {
          privateDnsZoneId: privateDnsZoneId
        }
      }
    ]
  }
}

output id string = endpoint.id
