import { graphql, type ResultOf } from "../graphql";

export const KeyRowFields = graphql(`
  fragment KeyRowFields on ApiKey {
    id name description type kind status scopes fullAccess maskedKey recoverable
    expiresAt revokedAt lastUsedAt createdAt
    rateLimit { requests periodSeconds mode }
  }
`);

export const KeyDetailFields = graphql(
  `
  fragment KeyDetailFields on ApiKey {
    ...KeyRowFields
    createdBy { type id name }
    customerIds
    externalId
    metadata
    allowedIps
    quota { limit refill remaining resetsAt }
    disabledAt
    disabledReason
    environment { id slug name }
    rotatedFrom { id name }
    replacedBy { id name status }
  }
`,
  [KeyRowFields],
);

export const KeysQuery = graphql(
  `
  query Keys($first: Int, $after: String, $filter: ApiKeyFilter) {
    apiKeys(first: $first, after: $after, filter: $filter) {
      edges { cursor node { ...KeyRowFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`,
  [KeyRowFields],
);

export const KeyQuery = graphql(
  `
  query Key($id: ID!) {
    apiKey(id: $id) { ...KeyDetailFields }
  }
`,
  [KeyDetailFields],
);

export const AuditState = graphql(`
  fragment AuditState on AuditKeyState {
    name description scopes expiresAt customerIds rateLimit { requests periodSeconds mode } quota { limit refill }
    allowedIps disabledReason leak { url source action }
  }
`);

export const KeyAuditQuery = graphql(
  `
  query KeyAudit($id: ID!, $after: String) {
    apiKey(id: $id) {
      id
      auditEvents(first: 50, after: $after) {
        edges { node { id type occurredAt actor { type id name } before { ...AuditState } after { ...AuditState } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`,
  [AuditState],
);

export const KeyUsageQuery = graphql(`
  query KeyUsage($id: ID!, $from: DateTime!, $to: DateTime!, $granularity: UsageGranularity!) {
    apiKey(id: $id) {
      id
      usage(from: $from, to: $to, granularity: $granularity) { at total byOutcome { code count } }
      activityEvents(first: 20) {
        edges { node { id occurredAt operationName rootFields outcome httpStatus durationMicros } }
      }
    }
  }
`);

export const CatalogQuery = graphql(`
  query Catalog {
    permissionCatalog { resource displayName description permissions }
  }
`);

export const CreateKey = graphql(
  `
  mutation CreateKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { secret apiKey { ...KeyRowFields } }
  }
`,
  [KeyRowFields],
);

export const UpdateKey = graphql(
  `
  mutation UpdateKey($input: UpdateApiKeyInput!) {
    updateApiKey(input: $input) { ...KeyDetailFields }
  }
`,
  [KeyDetailFields],
);

export const UpdateScopes = graphql(
  `
  mutation UpdateScopes($input: UpdateApiKeyScopesInput!) {
    updateApiKeyScopes(input: $input) { ...KeyDetailFields }
  }
`,
  [KeyDetailFields],
);

export const RotateKey = graphql(
  `
  mutation RotateKey($input: RotateApiKeyInput!) {
    rotateApiKey(input: $input) {
      secret
      apiKey { ...KeyDetailFields }
      previousKey { ...KeyDetailFields }
    }
  }
`,
  [KeyDetailFields],
);

export const UpdateExpiration = graphql(
  `
  mutation UpdateExpiration($input: UpdateApiKeyExpirationInput!) {
    updateApiKeyExpiration(input: $input) { ...KeyDetailFields }
  }
`,
  [KeyDetailFields],
);

export const RevokeKey = graphql(
  `
  mutation RevokeKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input) { ...KeyDetailFields }
  }
`,
  [KeyDetailFields],
);

export const DisableKey = graphql(
  `
  mutation DisableKey($input: DisableApiKeyInput!) {
    disableApiKey(input: $input) { ...KeyDetailFields }
  }
`,
  [KeyDetailFields],
);

export const EnableKey = graphql(
  `
  mutation EnableKey($input: EnableApiKeyInput!) {
    enableApiKey(input: $input) { ...KeyDetailFields }
  }
`,
  [KeyDetailFields],
);

export const RevealSecret = graphql(`
  mutation RevealSecret($input: RevealApiKeySecretInput!) {
    revealApiKeySecret(input: $input) { secret apiKey { id } }
  }
`);

export type KeyRow = ResultOf<typeof KeyRowFields>;
export type KeyDetail = ResultOf<typeof KeyDetailFields>;
export type Catalog = ResultOf<typeof CatalogQuery>["permissionCatalog"];
