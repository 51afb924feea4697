// The one identity the function app uses for everything it reaches: host storage, the data account,
// Service Bus, Key Vault and Application Insights ingestion. A user-assigned identity (rather than the
// site's system identity) exists before the app does, so its role assignments are in place when the
// host starts, and it survives a re-created site.

@description('Name of the user-assigned managed identity.')
param name string

@description('Region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
