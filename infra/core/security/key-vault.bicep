// Key Vault for the credential encryption key and other secrets (docs/design.md §3.1). Access is Azure RBAC
// only (no access policies); soft delete and purge protection keep a deleted secret recoverable and
// stop anyone, including a compromised deployer, from destroying the key that decrypts every stored
// vendor credential. Purge protection cannot be turned off once on, and a deleted vault keeps its
// name for the retention period (see docs/deploy.md, "Tearing down").

@description('Vault name: 3-24 letters, digits and hyphens, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Region of the vault.')
param location string

@description('Tags applied to the vault.')
param tags object = {}

@description('Days a deleted vault or secret stays recoverable (7-90).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Log Analytics workspace that receives the vault\'s AuditEvent log; empty sends none.')
param logAnalyticsWorkspaceId string = ''

@description('Accept traffic from the internet (Entra ID and RBAC still apply). False: private endpoint only, plus allowedIpAddresses.')
param publicNetworkAccess bool = true

@description('Public addresses (IPv4, or CIDR) let through when publicNetworkAccess is false: the deployer\'s, so the postprovision hook can create the secrets.')
param allowedIpAddresses array = []

var ipRules = [for address in allowedIpAddresses: {
  value: address
}]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    // Closed to the internet, the vault still has to answer the deployer's postprovision hook: its
    // address (if given) is the one exception, which needs the public endpoint on with Deny by default.
    publicNetworkAccess: publicNetworkAccess || !empty(allowedIpAddresses) ? 'Enabled' : 'Disabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess ? 'Allow' : 'Deny'
      ipRules: publicNetworkAccess ? [] : ipRules
    }
  }
}

// Every secret read or write, by whom: the trail for the key that decrypts all vendor credentials.
resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
