// Everything vnetEnabled adds (main.bicep) to the virtual network main.bicep builds: one private DNS zone per service
// kind, and a private endpoint for each service the app reaches: the host account's blob, queue and
// table services (Functions host, Durable Functions, deployment package), the data account's blob
// and table services (the hub's data), Key Vault, and Service Bus when it is Premium (Standard has
// no private endpoints; it stays on its public endpoint with Entra ID only). The services themselves
// refuse public traffic through their own parameters in main.bicep.

@description('Region of the network and the endpoints.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Host storage account name.')
param hostStorageName string

@description('Data storage account name.')
param dataStorageName string

@description('Key Vault name.')
param keyVaultName string

@description('Service Bus namespace name.')
param serviceBusName string

@description('Give Service Bus a private endpoint (Premium only).')
param serviceBusPrivateEndpoint bool

@description('Resource id of the virtual network (core/network/virtual-network.bicep, built by main.bicep).')
param virtualNetworkId string

@description('Resource id of its private-endpoints subnet.')
param privateEndpointSubnetId string

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource dataStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataStorageName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusName
}

// Zone names: storage zones carry the cloud's own suffix; Key Vault's and Service Bus's are the
// public cloud's (sovereign clouds use other names: adjust here).
var zoneNames = {
  blob: 'privatelink.blob.${environment().suffixes.storage}'
  queue: 'privatelink.queue.${environment().suffixes.storage}'
  table: 'privatelink.table.${environment().suffixes.storage}'
  vault: 'privatelink.vaultcore.azure.net'
  namespace: 'privatelink.servicebus.windows.net'
}

var zoneKinds = serviceBusPrivateEndpoint ? ['blob', 'queue', 'table', 'vault', 'namespace'] : ['blob', 'queue', 'table', 'vault']

module zones '../core/network/private-dns-zone.bicep' = [for kind in zoneKinds: {
  name: 'private-dns-${kind}'
  params: {
    name: zoneNames[kind]
    virtualNetworkId: virtualNetworkId
    tags: tags
  }
}]

// What the app uses of each service, one private endpoint each. Zone index = position in zoneKinds.
var storageEndpoints = [
  {
    name: 'pe-${hostStorageName}-blob'
    target: hostStorage.id
    groupId: 'blob'
    zone: 0
  }
  {
    name: 'pe-${hostStorageName}-queue'
    target: hostStorage.id
    groupId: 'queue'
    zone: 1
  }
  {
    name: 'pe-${hostStorageName}-table'
    target: hostStorage.id
    groupId: 'table'
    zone: 2
  }
  {
    name: 'pe-${dataStorageName}-blob'
    target: dataStorage.id
    groupId: 'blob'
    zone: 0
  }
  {
    name: 'pe-${dataStorageName}-table'
    target: dataStorage.id
    groupId: 'table'
    zone: 2
  }
  {
    name: 'pe-${keyVaultName}-vault'
    target: keyVault.id
    groupId: 'vault'
    zone: 3
  }
]

var serviceBusEndpoint = [
  {
    name: 'pe-${serviceBusName}-namespace'
    target: serviceBus.id
    groupId: 'namespace'
    zone: 4
  }
]

var endpoints = serviceBusPrivateEndpoint ? concat(storageEndpoints, serviceBusEndpoint) : storageEndpoints

module privateEndpoints '../core/network/private-endpoint.bicep' = [for endpoint in endpoints: {
  name: endpoint.name
  params: {
    name: endpoint.name
    location: location
    tags: tags
    subnetId: privateEndpointSubnetId
    targetResourceId: endpoint.target
    groupId: endpoint.groupId
    privateDnsZoneId: zones[endpoint.zone].outputs.id
  }
}]
