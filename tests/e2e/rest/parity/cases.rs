//! The parity table: each row one operation, in its REST form and its GraphQL form, with the
//! caller, the fixture it runs on (`<target>`, `<second>`; `<default>` is the production
//! publishable key, `<later>` and `<past>` are times) and how it must end.

use reqwest::Method;
use serde_json::json;

use super::Caller::{
    FullAccess, Member, MemberInStaging, MemberNowhere, Nobody, Publishable, ReadOnlyPerson,
    Reader, Staging, UnknownKey, Writer,
};
use super::{Case, Target};

const CREATE: &str =
    "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { ...Key } } }";
const GET: &str = "query($id: ID!) { apiKey(id: $id) { ...Key } }";
const UPDATE: &str =
    "mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { ...Key } }";
const SCOPES: &str =
    "mutation($input: UpdateApiKeyScopesInput!) { updateApiKeyScopes(input: $input) { ...Key } }";
const EXPIRATION: &str = "mutation($input: UpdateApiKeyExpirationInput!) { updateApiKeyExpiration(input: $input) { ...Key } }";
const ROTATE: &str = "mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { apiKey { ...Key } previousKey { ...Key } } }";
const REVOKE: &str =
    "mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { ...Key } }";
const DISABLE: &str =
    "mutation($input: DisableApiKeyInput!) { disableApiKey(input: $input) { ...Key } }";
const ENABLE: &str =
    "mutation($input: EnableApiKeyInput!) { enableApiKey(input: $input) { ...Key } }";
const BULK_REVOKE: &str = "mutation($input: RevokeApiKeysInput!) { revokeApiKeys(input: $input) { revoked { ...Key } skipped { code } } }";
const LIST: &str = "query($first: Int, $after: String, $filter: ApiKeyFilter) { apiKeys(first: $first, after: $after, filter: $filter) { edges { node { ...Key } } } }";
const REVEAL: &str = "mutation($input: RevealApiKeySecretInput!) { revealApiKeySecret(input: $input) { apiKey { ...Key } } }";
const USAGE: &str = "query($id: ID!, $from: DateTime!, $to: DateTime!, $granularity: UsageGranularity!, $permission: String) {
    apiKey(id: $id) { usage(from: $from, to: $to, granularity: $granularity, permission: $permission) { at total byOutcome { code count } } } }";
const ACTIVITY: &str = "query($filter: ActivityEventFilter) { activityEvents(filter: $filter) { edges { node { outcome } } } }";
const KEY_AUDIT: &str =
    "query($id: ID!) { apiKey(id: $id) { auditEvents { edges { node { type } } } } }";
const AUDIT: &str = "query($first: Int, $after: String, $filter: AuditEventFilter) { auditEvents(first: $first, after: $after, filter: $filter) { edges { node { type } } } }";

const KEYS: &str = "/api/v1/api-keys";
const KEY: &str = "/api/v1/api-keys/<target>";

/// The page parameters are named by each front end's convention (`limit`, `starting_after`
/// against `first`, `after`), so the error's `field` legitimately differs.
const PAGE_NAMES: &str = "page parameters are named per front end";
/// A bulk revocation's filter takes the list's names on each front end (`name` against
/// `nameContains`), so the error's `field` may legitimately differ.
const FILTER_NAMES: &str = "filters are named per front end";

pub(super) fn table() -> Vec<Case> {
    use Method as M;
    vec![
        // createApiKey
        Case::new("create with scopes", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["customers:read"] }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["customers:read"] } }))
            .succeeds(),
        Case::new("create with a preset", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "preset": "READ_ONLY" }))
            .graphql(CREATE, json!({ "input": { "name": "made", "preset": "READ_ONLY" } }))
            .succeeds(),
        Case::new("create with an unknown scope", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["no-such:scope"] }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["no-such:scope"] } }))
            .fails("BAD_USER_INPUT")
            .naming("scopes"),
        Case::new("create with a scope the caller lacks", Writer, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["subscriptions:read"] }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["subscriptions:read"] } }))
            .fails("FORBIDDEN"),
        Case::new("create without api_keys:write", Reader, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["api_keys:read"] }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["api_keys:read"] } }))
            .fails("FORBIDDEN")
            .needing("api_keys:write"),
        Case::new("create with both scopes and a preset", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["customers:read"], "preset": "READ_ONLY" }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["customers:read"], "preset": "READ_ONLY" } }))
            .fails("BAD_USER_INPUT"),
        Case::new("create with an empty name", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "", "scopes": ["customers:read"] }))
            .graphql(CREATE, json!({ "input": { "name": "", "scopes": ["customers:read"] } }))
            .fails("BAD_USER_INPUT")
            .naming("name"),
        Case::new("create expiring in the past", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["customers:read"], "expiresAt": "<past>" }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["customers:read"], "expiresAt": "<past>" } }))
            .fails("BAD_USER_INPUT")
            .naming("expiresAt"),
        Case::new("create with every setting", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({
                "name": "made", "description": "billing", "scopes": ["customers:read"], "expiresAt": "<later>",
                "customerIds": ["cus_1", "cus_2"], "rateLimit": { "requests": 10, "periodSeconds": 60, "mode": "LEASED" },
                "metadata": { "plan": "pro", "seats": 3 }, "externalId": "tenant-made",
                "allowedIps": ["192.0.2.7", "2001:db8::/32"], "quota": { "limit": 100, "refill": "DAILY" },
            }))
            .graphql(CREATE, json!({ "input": {
                "name": "made", "description": "billing", "scopes": ["customers:read"], "expiresAt": "<later>",
                "customerIds": ["cus_1", "cus_2"], "rateLimit": { "requests": 10, "periodSeconds": 60, "mode": "LEASED" },
                "metadata": { "plan": "pro", "seats": 3 }, "externalId": "tenant-made",
                "allowedIps": ["192.0.2.7", "2001:db8::/32"], "quota": { "limit": 100, "refill": "DAILY" },
            } }))
            .succeeds(),
        Case::new("create with a rate limit of no requests", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "preset": "READ_ONLY", "rateLimit": { "requests": 0, "periodSeconds": 60 } }))
            .graphql(CREATE, json!({ "input": { "name": "made", "preset": "READ_ONLY", "rateLimit": { "requests": 0, "periodSeconds": 60 } } }))
            .fails("BAD_USER_INPUT")
            .naming("rateLimit"),
        Case::new("create with a quota of nothing", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "preset": "READ_ONLY", "quota": { "limit": 0, "refill": "DAILY" } }))
            .graphql(CREATE, json!({ "input": { "name": "made", "preset": "READ_ONLY", "quota": { "limit": 0, "refill": "DAILY" } } }))
            .fails("BAD_USER_INPUT")
            .naming("quota"),
        Case::new("create with an address that is none", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "preset": "READ_ONLY", "allowedIps": ["10.0.0.999"] }))
            .graphql(CREATE, json!({ "input": { "name": "made", "preset": "READ_ONLY", "allowedIps": ["10.0.0.999"] } }))
            .fails("BAD_USER_INPUT")
            .naming("allowedIps"),
        Case::new("create with reserved metadata", FullAccess, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "preset": "READ_ONLY", "metadata": { "keyplane_tier": "x" } }))
            .graphql(CREATE, json!({ "input": { "name": "made", "preset": "READ_ONLY", "metadata": { "keyplane_tier": "x" } } }))
            .fails("BAD_USER_INPUT")
            .naming("metadata"),
        Case::new("create on the FREE plan", FullAccess, Target::None)
            .on_free_plan()
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["customers:read"] }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["customers:read"] } }))
            .fails("PLAN_UPGRADE_REQUIRED"),
        Case::new("create as a read-only person", ReadOnlyPerson, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["customers:read"] }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["customers:read"] } }))
            .fails("FORBIDDEN"),
        Case::new("create without a credential", Nobody, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["customers:read"] }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["customers:read"] } }))
            .fails("UNAUTHENTICATED"),
        Case::new("create with a key that does not exist", UnknownKey, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["customers:read"] }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["customers:read"] } }))
            .fails("UNAUTHENTICATED"),
        Case::new("create with a session acting nowhere", MemberNowhere, Target::None)
            .rest(M::POST, KEYS, json!({ "name": "made", "scopes": ["customers:read"] }))
            .graphql(CREATE, json!({ "input": { "name": "made", "scopes": ["customers:read"] } }))
            .fails("BAD_USER_INPUT"),
        // getApiKey
        Case::new("get", FullAccess, Target::Active)
            .rest(M::GET, KEY, None)
            .graphql(GET, json!({ "id": "<target>" }))
            .succeeds(),
        Case::new("get as a read-only person", ReadOnlyPerson, Target::Active)
            .rest(M::GET, KEY, None)
            .graphql(GET, json!({ "id": "<target>" }))
            .succeeds(),
        Case::new("get a key of another environment", Staging, Target::Active)
            .rest(M::GET, KEY, None)
            .graphql(GET, json!({ "id": "<target>" }))
            .fails("NOT_FOUND"),
        Case::new("get as a member acting in staging", MemberInStaging, Target::Active)
            .rest(M::GET, KEY, None)
            .graphql(GET, json!({ "id": "<target>" }))
            .fails("NOT_FOUND"),
        Case::new("get an unknown id", FullAccess, Target::Unknown)
            .rest(M::GET, KEY, None)
            .graphql(GET, json!({ "id": "<target>" }))
            .fails("NOT_FOUND"),
        Case::new("get with the publishable key", Publishable, Target::Active)
            .rest(M::GET, KEY, None)
            .graphql(GET, json!({ "id": "<target>" }))
            .fails("FORBIDDEN")
            .needing("api_keys:read"),
        // updateApiKey: settings
        Case::new("rename", FullAccess, Target::Active)
            .rest(M::PATCH, KEY, json!({ "name": "renamed" }))
            .graphql(UPDATE, json!({ "input": { "id": "<target>", "name": "renamed" } }))
            .succeeds(),
        Case::new("rename to an empty name", FullAccess, Target::Active)
            .rest(M::PATCH, KEY, json!({ "name": "" }))
            .graphql(UPDATE, json!({ "input": { "id": "<target>", "name": "" } }))
            .fails("BAD_USER_INPUT")
            .naming("name"),
        Case::new("rename without api_keys:write", Reader, Target::Active)
            .rest(M::PATCH, KEY, json!({ "name": "renamed" }))
            .graphql(UPDATE, json!({ "input": { "id": "<target>", "name": "renamed" } }))
            .fails("FORBIDDEN")
            .needing("api_keys:write"),
        Case::new("rename a key of another environment", Staging, Target::Active)
            .rest(M::PATCH, KEY, json!({ "name": "renamed" }))
            .graphql(UPDATE, json!({ "input": { "id": "<target>", "name": "renamed" } }))
            .fails("NOT_FOUND"),
        Case::new("set every setting", FullAccess, Target::Active)
            .rest(M::PATCH, KEY, json!({
                "description": "billing", "customerIds": ["cus_1"], "rateLimit": { "requests": 5, "periodSeconds": 1 },
                "metadata": { "plan": "team" }, "externalId": "tenant-set", "allowedIps": ["198.51.100.0/24"],
                "quota": { "limit": 7, "refill": "NEVER" },
            }))
            .graphql(UPDATE, json!({ "input": {
                "id": "<target>", "description": "billing", "customerIds": ["cus_1"], "rateLimit": { "requests": 5, "periodSeconds": 1 },
                "metadata": { "plan": "team" }, "externalId": "tenant-set", "allowedIps": ["198.51.100.0/24"],
                "quota": { "limit": 7, "refill": "NEVER" },
            } }))
            .succeeds(),
        Case::new("clear every setting", FullAccess, Target::Configured)
            .rest(M::PATCH, KEY, json!({
                "description": null, "customerIds": null, "rateLimit": null, "metadata": null,
                "externalId": null, "allowedIps": null, "quota": null,
            }))
            .graphql(UPDATE, json!({ "input": {
                "id": "<target>", "description": null, "customerIds": null, "rateLimit": null, "metadata": null,
                "externalId": null, "allowedIps": null, "quota": null,
            } }))
            .succeeds(),
        Case::new("set an address that is none", FullAccess, Target::Active)
            .rest(M::PATCH, KEY, json!({ "allowedIps": ["10.0.0.999"] }))
            .graphql(UPDATE, json!({ "input": { "id": "<target>", "allowedIps": ["10.0.0.999"] } }))
            .fails("BAD_USER_INPUT")
            .naming("allowedIps"),
        Case::new("rename a default key", FullAccess, Target::None)
            .rest(M::PATCH, "/api/v1/api-keys/<default>", json!({ "name": "renamed" }))
            .graphql(UPDATE, json!({ "input": { "id": "<default>", "name": "renamed" } }))
            .fails("CONFLICT"),
        Case::new("rename a revoked key", FullAccess, Target::Revoked)
            .rest(M::PATCH, KEY, json!({ "name": "renamed" }))
            .graphql(UPDATE, json!({ "input": { "id": "<target>", "name": "renamed" } }))
            .fails("CONFLICT"),
        // PATCH scopes against updateApiKeyScopes
        Case::new("re-scope", FullAccess, Target::Active)
            .rest(M::PATCH, KEY, json!({ "scopes": ["customers:read", "subscriptions:read"] }))
            .graphql(SCOPES, json!({ "input": { "id": "<target>", "scopes": ["customers:read", "subscriptions:read"] } }))
            .succeeds(),
        Case::new("re-scope to a preset", FullAccess, Target::Active)
            .rest(M::PATCH, KEY, json!({ "preset": "READ_ONLY" }))
            .graphql(SCOPES, json!({ "input": { "id": "<target>", "preset": "READ_ONLY" } }))
            .succeeds(),
        Case::new("re-scope to an unknown scope", FullAccess, Target::Active)
            .rest(M::PATCH, KEY, json!({ "scopes": ["no-such:scope"] }))
            .graphql(SCOPES, json!({ "input": { "id": "<target>", "scopes": ["no-such:scope"] } }))
            .fails("BAD_USER_INPUT")
            .naming("scopes"),
        Case::new("re-scope to a scope the caller lacks", Writer, Target::Active)
            .rest(M::PATCH, KEY, json!({ "scopes": ["subscriptions:read"] }))
            .graphql(SCOPES, json!({ "input": { "id": "<target>", "scopes": ["subscriptions:read"] } }))
            .fails("FORBIDDEN"),
        Case::new("re-scope with both scopes and a preset", FullAccess, Target::Active)
            .rest(M::PATCH, KEY, json!({ "scopes": ["customers:read"], "preset": "READ_ONLY" }))
            .graphql(SCOPES, json!({ "input": { "id": "<target>", "scopes": ["customers:read"], "preset": "READ_ONLY" } }))
            .fails("BAD_USER_INPUT"),
        Case::new("re-scope a default key", FullAccess, Target::None)
            .rest(M::PATCH, "/api/v1/api-keys/<default>", json!({ "scopes": ["customers:read"] }))
            .graphql(SCOPES, json!({ "input": { "id": "<default>", "scopes": ["customers:read"] } }))
            .fails("CONFLICT"),
        // PATCH expiresAt against updateApiKeyExpiration
        Case::new("move an expiry", FullAccess, Target::Expiring)
            .rest(M::PATCH, KEY, json!({ "expiresAt": "<later>" }))
            .graphql(EXPIRATION, json!({ "input": { "id": "<target>", "expiresAt": "<later>" } }))
            .succeeds(),
        Case::new("move the expiry of a key without one", FullAccess, Target::Active)
            .rest(M::PATCH, KEY, json!({ "expiresAt": "<later>" }))
            .graphql(EXPIRATION, json!({ "input": { "id": "<target>", "expiresAt": "<later>" } }))
            .fails("CONFLICT"),
        Case::new("move an expiry into the past", FullAccess, Target::Expiring)
            .rest(M::PATCH, KEY, json!({ "expiresAt": "<past>" }))
            .graphql(EXPIRATION, json!({ "input": { "id": "<target>", "expiresAt": "<past>" } }))
            .fails("BAD_USER_INPUT")
            .naming("expiresAt"),
        // rotateApiKey
        Case::new("rotate with an hour of grace", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/rotate", json!({ "gracePeriod": "ONE_HOUR" }))
            .graphql(ROTATE, json!({ "input": { "id": "<target>", "gracePeriod": "ONE_HOUR" } }))
            .succeeds(),
        Case::new("rotate with an end date", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/rotate", json!({ "expiresAt": "<later>" }))
            .graphql(ROTATE, json!({ "input": { "id": "<target>", "expiresAt": "<later>" } }))
            .succeeds(),
        Case::new("rotate with both gracePeriod and expiresAt", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/rotate", json!({ "gracePeriod": "ONE_HOUR", "expiresAt": "<later>" }))
            .graphql(ROTATE, json!({ "input": { "id": "<target>", "gracePeriod": "ONE_HOUR", "expiresAt": "<later>" } }))
            .fails("BAD_USER_INPUT")
            .naming("gracePeriod"),
        Case::new("rotate with neither", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/rotate", json!({}))
            .graphql(ROTATE, json!({ "input": { "id": "<target>" } }))
            .fails("BAD_USER_INPUT")
            .naming("gracePeriod"),
        Case::new("rotate a revoked key", FullAccess, Target::Revoked)
            .rest(M::POST, "/api/v1/api-keys/<target>/rotate", json!({ "gracePeriod": "ONE_HOUR" }))
            .graphql(ROTATE, json!({ "input": { "id": "<target>", "gracePeriod": "ONE_HOUR" } }))
            .fails("CONFLICT"),
        Case::new("rotate without api_keys:write", Reader, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/rotate", json!({ "gracePeriod": "NOW" }))
            .graphql(ROTATE, json!({ "input": { "id": "<target>", "gracePeriod": "NOW" } }))
            .fails("FORBIDDEN")
            .needing("api_keys:write"),
        // revokeApiKey
        Case::new("revoke", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/revoke", None)
            .graphql(REVOKE, json!({ "input": { "id": "<target>" } }))
            .succeeds(),
        Case::new("revoke with a scoped key holding the key's scopes", Writer, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/revoke", None)
            .graphql(REVOKE, json!({ "input": { "id": "<target>" } }))
            .succeeds(),
        Case::new("revoke a default key without an expiration", FullAccess, Target::None)
            .rest(M::POST, "/api/v1/api-keys/<default>/revoke", None)
            .graphql(REVOKE, json!({ "input": { "id": "<default>" } }))
            .fails("CONFLICT"),
        Case::new("revoke a revoked key", FullAccess, Target::Revoked)
            .rest(M::POST, "/api/v1/api-keys/<target>/revoke", None)
            .graphql(REVOKE, json!({ "input": { "id": "<target>" } }))
            .fails("CONFLICT"),
        Case::new("revoke as a member acting in staging", MemberInStaging, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/revoke", None)
            .graphql(REVOKE, json!({ "input": { "id": "<target>" } }))
            .fails("NOT_FOUND"),
        Case::new("revoke a key of another environment", Staging, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/revoke", None)
            .graphql(REVOKE, json!({ "input": { "id": "<target>" } }))
            .fails("NOT_FOUND"),
        // disableApiKey, enableApiKey
        Case::new("disable", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/disable", json!({ "reason": "suspected leak" }))
            .graphql(DISABLE, json!({ "input": { "id": "<target>", "reason": "suspected leak" } }))
            .succeeds(),
        Case::new("disable with an empty reason", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/disable", json!({ "reason": "" }))
            .graphql(DISABLE, json!({ "input": { "id": "<target>", "reason": "" } }))
            .fails("BAD_USER_INPUT")
            .naming("reason"),
        Case::new("disable as a read-only person", ReadOnlyPerson, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/disable", json!({ "reason": "suspected leak" }))
            .graphql(DISABLE, json!({ "input": { "id": "<target>", "reason": "suspected leak" } }))
            .fails("FORBIDDEN"),
        Case::new("enable", FullAccess, Target::Disabled)
            .rest(M::POST, "/api/v1/api-keys/<target>/enable", None)
            .graphql(ENABLE, json!({ "input": { "id": "<target>" } }))
            .succeeds(),
        Case::new("enable a key that is not disabled", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/enable", None)
            .graphql(ENABLE, json!({ "input": { "id": "<target>" } }))
            .fails("CONFLICT"),
        Case::new("disable the full-access key with an API key", FullAccess, Target::None)
            .rest(M::POST, "/api/v1/api-keys/<full-access>/disable", json!({ "reason": "rotation drill" }))
            .graphql(DISABLE, json!({ "input": { "id": "<full-access>", "reason": "rotation drill" } }))
            .fails("FORBIDDEN"),
        // revealApiKey against revealApiKeySecret
        Case::new("reveal as a member", Member, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/reveal", None)
            .graphql(REVEAL, json!({ "input": { "id": "<target>" } }))
            .succeeds(),
        Case::new("reveal with an API key", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/reveal", None)
            .graphql(REVEAL, json!({ "input": { "id": "<target>" } }))
            .fails("FORBIDDEN"),
        Case::new("reveal as a read-only person", ReadOnlyPerson, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/<target>/reveal", None)
            .graphql(REVEAL, json!({ "input": { "id": "<target>" } }))
            .fails("FORBIDDEN"),
        Case::new("reveal a key whose secret was never kept", Member, Target::None)
            .rest(M::POST, "/api/v1/api-keys/<unrecoverable>/reveal", None)
            .graphql(REVEAL, json!({ "input": { "id": "<unrecoverable>" } }))
            .fails("CONFLICT"),
        // bulk-revoke against revokeApiKeys
        Case::new("bulk revoke two keys", FullAccess, Target::Pair)
            .rest(M::POST, "/api/v1/api-keys/bulk-revoke", json!({ "ids": ["<target>", "<second>"] }))
            .graphql(BULK_REVOKE, json!({ "input": { "ids": ["<target>", "<second>"] } }))
            .succeeds(),
        Case::new("bulk revoke skips a default key", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/bulk-revoke", json!({ "ids": ["<target>", "<default>"] }))
            .graphql(BULK_REVOKE, json!({ "input": { "ids": ["<target>", "<default>"] } }))
            .succeeds(),
        Case::new("bulk revoke skips a key of another environment", Staging, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/bulk-revoke", json!({ "ids": ["<target>"] }))
            .graphql(BULK_REVOKE, json!({ "input": { "ids": ["<target>"] } }))
            .succeeds(),
        Case::new("bulk revoke by filter", FullAccess, Target::Configured)
            .rest(M::POST, "/api/v1/api-keys/bulk-revoke", json!({ "filter": { "externalId": "<tag>" } }))
            .graphql(BULK_REVOKE, json!({ "input": { "filter": { "externalId": "<tag>" } } }))
            .succeeds(),
        Case::new("bulk revoke with an empty filter", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/bulk-revoke", json!({ "filter": {} }))
            .graphql(BULK_REVOKE, json!({ "input": { "filter": {} } }))
            .fails("BAD_USER_INPUT")
            .code_only(FILTER_NAMES),
        Case::new("bulk revoke with both ids and a filter", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/bulk-revoke", json!({ "ids": ["<target>"], "filter": { "externalId": "<tag>" } }))
            .graphql(BULK_REVOKE, json!({ "input": { "ids": ["<target>"], "filter": { "externalId": "<tag>" } } }))
            .fails("BAD_USER_INPUT"),
        Case::new("bulk revoke no ids", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/bulk-revoke", json!({ "ids": [] }))
            .graphql(BULK_REVOKE, json!({ "input": { "ids": [] } }))
            .fails("BAD_USER_INPUT"),
        Case::new("bulk revoke with neither ids nor a filter", FullAccess, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/bulk-revoke", json!({}))
            .graphql(BULK_REVOKE, json!({ "input": {} }))
            .fails("BAD_USER_INPUT"),
        Case::new("bulk revoke without api_keys:write", Reader, Target::Active)
            .rest(M::POST, "/api/v1/api-keys/bulk-revoke", json!({ "ids": ["<target>"] }))
            .graphql(BULK_REVOKE, json!({ "input": { "ids": ["<target>"] } }))
            .fails("FORBIDDEN")
            .needing("api_keys:write"),
        // listApiKeys against apiKeys
        Case::new("list with a filter", FullAccess, Target::None)
            .rest(M::GET, "/api/v1/api-keys?type=FULL_ACCESS", None)
            .graphql(LIST, json!({ "filter": { "type": ["FULL_ACCESS"] } }))
            .succeeds(),
        Case::new("list after a cursor it never returned", FullAccess, Target::None)
            .rest(M::GET, "/api/v1/api-keys?starting_after=not-a-cursor", None)
            .graphql(LIST, json!({ "after": "not-a-cursor" }))
            .fails("BAD_USER_INPUT")
            .code_only(PAGE_NAMES),
        Case::new("list pages of no keys", FullAccess, Target::None)
            .rest(M::GET, "/api/v1/api-keys?limit=0", None)
            .graphql(LIST, json!({ "first": 0 }))
            .fails("BAD_USER_INPUT")
            .code_only(PAGE_NAMES),
        Case::new("list with the publishable key", Publishable, Target::None)
            .rest(M::GET, KEYS, None)
            .graphql(LIST, json!({}))
            .fails("FORBIDDEN")
            .needing("api_keys:read"),
        // audit events: a key's, and the environment's
        Case::new("a key's audit events", FullAccess, Target::Disabled)
            .rest(M::GET, "/api/v1/api-keys/<target>/audit-events", None)
            .graphql(KEY_AUDIT, json!({ "id": "<target>" }))
            .succeeds(),
        Case::new("the audit events of a key of another environment", Staging, Target::Active)
            .rest(M::GET, "/api/v1/api-keys/<target>/audit-events", None)
            .graphql(KEY_AUDIT, json!({ "id": "<target>" }))
            .fails("NOT_FOUND"),
        Case::new("the environment's audit events of one key", Reader, Target::Revoked)
            .rest(M::GET, "/api/v1/audit-events?apiKeyId=<target>", None)
            .graphql(AUDIT, json!({ "filter": { "apiKeyId": "<target>" } }))
            .succeeds(),
        Case::new("the environment's audit events of one type", FullAccess, Target::Disabled)
            .rest(M::GET, "/api/v1/audit-events?apiKeyId=<target>&type=KEY_DISABLED,KEY_ENABLED", None)
            .graphql(AUDIT, json!({ "filter": { "apiKeyId": "<target>", "type": ["KEY_DISABLED", "KEY_ENABLED"] } }))
            .succeeds(),
        Case::new("the environment's settings events", FullAccess, Target::None)
            .rest(M::GET, "/api/v1/audit-events?subject=ENVIRONMENT", None)
            .graphql(AUDIT, json!({ "filter": { "subject": "ENVIRONMENT" } }))
            .succeeds(),
        Case::new("audit events with the publishable key", Publishable, Target::None)
            .rest(M::GET, "/api/v1/audit-events", None)
            .graphql(AUDIT, json!({}))
            .fails("FORBIDDEN")
            .needing("api_keys:read"),
        Case::new("audit events after a cursor they never returned", FullAccess, Target::None)
            .rest(M::GET, "/api/v1/audit-events?starting_after=x", None)
            .graphql(AUDIT, json!({ "after": "x" }))
            .fails("BAD_USER_INPUT")
            .code_only(PAGE_NAMES),
        Case::new("audit events without a credential", Nobody, Target::None)
            .rest(M::GET, "/api/v1/audit-events", None)
            .graphql(AUDIT, json!({}))
            .fails("UNAUTHENTICATED"),
        // activity
        Case::new("activity with an outcome no code has", FullAccess, Target::None)
            .rest(M::GET, "/api/v1/activity?outcome=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", None)
            .graphql(ACTIVITY, json!({ "filter": { "outcome": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } }))
            .fails("BAD_USER_INPUT")
            .naming("outcome"),
        Case::new("activity with the publishable key", Publishable, Target::None)
            .rest(M::GET, "/api/v1/activity", None)
            .graphql(ACTIVITY, json!({}))
            .fails("FORBIDDEN")
            .needing("api_keys:read"),
        // a key's usage
        Case::new("a key's usage by the hour", FullAccess, Target::Active)
            .rest(M::GET, "/api/v1/api-keys/<target>/usage?from=2026-01-01T00:00:00Z&to=2026-01-01T06:00:00Z&granularity=HOUR", None)
            .graphql(USAGE, json!({ "id": "<target>", "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T06:00:00Z", "granularity": "HOUR" }))
            .succeeds(),
        Case::new("usage of too many points", FullAccess, Target::Active)
            .rest(M::GET, "/api/v1/api-keys/<target>/usage?from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z&granularity=MINUTE", None)
            .graphql(USAGE, json!({ "id": "<target>", "from": "2026-01-01T00:00:00Z", "to": "2026-01-03T00:00:00Z", "granularity": "MINUTE" }))
            .fails("BAD_USER_INPUT"),
        Case::new("usage ending before it starts", FullAccess, Target::Active)
            .rest(M::GET, "/api/v1/api-keys/<target>/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z&granularity=HOUR", None)
            .graphql(USAGE, json!({ "id": "<target>", "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z", "granularity": "HOUR" }))
            .fails("BAD_USER_INPUT"),
        Case::new("usage of a permission that does not exist", FullAccess, Target::Active)
            .rest(M::GET, "/api/v1/api-keys/<target>/usage?from=2026-01-01T00:00:00Z&to=2026-01-01T06:00:00Z&granularity=HOUR&permission=nope", None)
            .graphql(USAGE, json!({ "id": "<target>", "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T06:00:00Z", "granularity": "HOUR", "permission": "nope" }))
            .fails("BAD_USER_INPUT")
            .naming("permission"),
        Case::new("usage of a key of another environment", Staging, Target::Active)
            .rest(M::GET, "/api/v1/api-keys/<target>/usage?from=2026-01-01T00:00:00Z&to=2026-01-01T06:00:00Z&granularity=HOUR", None)
            .graphql(USAGE, json!({ "id": "<target>", "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T06:00:00Z", "granularity": "HOUR" }))
            .fails("NOT_FOUND"),
    ]
}
