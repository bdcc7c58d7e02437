//! Every role against every operation: a table of what each may do, driven over HTTP. The
//! owner acts in production, the member in staging, the read-only user in development, so one
//! role's changes never stand in another's way; what an operation needs (a key, a user, a
//! session) is made fresh for each row by the environment's full-access key or the owner.

use serde_json::{Value, json};

mod fixtures;

use fixtures::{Filler, Needs, fill, make};

use crate::harness::TestApp;

struct Row {
    operation: &'static str,
    needs: Needs,
    document: &'static str,
    /// The input, with placeholders (see [`Filler`]).
    input: Value,
    /// Owner, member, read-only: `OK` or the error code.
    expect: [&'static str; 3],
}

const ALL: [&str; 3] = ["OK", "OK", "OK"];
const WRITERS: [&str; 3] = ["OK", "OK", "FORBIDDEN"];
const OWNERS: [&str; 3] = ["OK", "FORBIDDEN", "FORBIDDEN"];

fn rows() -> Vec<Row> {
    let row = |operation, needs, document, input, expect| Row {
        operation,
        needs,
        document,
        input,
        expect,
    };
    vec![
        row(
            "viewer",
            Needs::Nothing,
            "{ viewer { user { id role } apiKey { id } environment { slug } environments { slug } account { id } sessions { edges { node { id current } } } } }",
            Value::Null,
            ALL,
        ),
        row(
            "apiKeys",
            Needs::Nothing,
            "{ apiKeys(first: 5) { edges { node { id maskedKey recoverable } } } }",
            Value::Null,
            ALL,
        ),
        row(
            "apiKey",
            Needs::ScopedKey,
            "query($input: ID!) { apiKey(id: $input) { id } }",
            json!("$ID"),
            ALL,
        ),
        row(
            "auditEvents",
            Needs::Nothing,
            "{ auditEvents(first: 5) { edges { node { id type actor { type name } } } } }",
            Value::Null,
            ALL,
        ),
        row(
            "activityEvents",
            Needs::Nothing,
            "{ activityEvents(first: 5) { edges { node { id } } } }",
            Value::Null,
            ALL,
        ),
        row(
            "integrations",
            Needs::Nothing,
            "{ integrations(first: 5) { edges { node { id } } } }",
            Value::Null,
            ALL,
        ),
        row(
            "permissionCatalog",
            Needs::Nothing,
            "{ permissionCatalog { resource } }",
            Value::Null,
            ALL,
        ),
        row(
            "usage",
            Needs::Nothing,
            "{ viewer { environment { usage(from: \"2026-01-01T00:00:00Z\", to: \"2026-01-01T01:00:00Z\", granularity: HOUR) { total } } } }",
            Value::Null,
            ALL,
        ),
        row(
            "verifyApiKey",
            Needs::Nothing,
            "query($input: VerifyApiKeyInput!) { verifyApiKey(input: $input) { code } }",
            json!({ "key": "$KEY" }),
            ALL,
        ),
        row(
            "users",
            Needs::Nothing,
            "{ users(first: 5) { edges { node { id email role disabled } } } }",
            Value::Null,
            ALL,
        ),
        row(
            "accountAuditEvents",
            Needs::Nothing,
            "{ accountAuditEvents(first: 5) { edges { node { id type } } } }",
            Value::Null,
            ALL,
        ),
        row(
            "createApiKey",
            Needs::Nothing,
            "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
            json!({ "name": "made by a person", "scopes": ["customers:read"] }),
            WRITERS,
        ),
        row(
            "updateApiKey",
            Needs::ScopedKey,
            "mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { id } }",
            json!({ "id": "$ID", "name": "renamed" }),
            WRITERS,
        ),
        row(
            "updateApiKeyScopes",
            Needs::ScopedKey,
            "mutation($input: UpdateApiKeyScopesInput!) { updateApiKeyScopes(input: $input) { id } }",
            json!({ "id": "$ID", "scopes": ["coupons:read"] }),
            WRITERS,
        ),
        row(
            "updateApiKeyExpiration",
            Needs::ExpiringKey,
            "mutation($input: UpdateApiKeyExpirationInput!) { updateApiKeyExpiration(input: $input) { id } }",
            json!({ "id": "$ID", "expiresAt": "$LATER" }),
            WRITERS,
        ),
        row(
            "rotateApiKey",
            Needs::ScopedKey,
            "mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { secret } }",
            json!({ "id": "$ID", "gracePeriod": "ONE_HOUR" }),
            WRITERS,
        ),
        row(
            "revokeApiKey",
            Needs::ScopedKey,
            "mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { id } }",
            json!({ "id": "$ID" }),
            WRITERS,
        ),
        row(
            "rotateApiKey (full access)",
            Needs::FullAccessKey,
            "mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { secret } }",
            json!({ "id": "$ID", "gracePeriod": "SEVEN_DAYS" }),
            OWNERS,
        ),
        row(
            "revokeApiKey (full access)",
            Needs::FullAccessKey,
            "mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { id } }",
            json!({ "id": "$ID" }),
            ["CONFLICT", "FORBIDDEN", "FORBIDDEN"],
        ),
        row(
            "updateEnvironmentRateLimit",
            Needs::Nothing,
            "mutation($input: UpdateEnvironmentRateLimitInput!) { updateEnvironmentRateLimit(input: $input) { id } }",
            json!({ "rateLimit": { "requests": 100, "periodSeconds": 60 } }),
            OWNERS,
        ),
        row(
            "updateClientSecurity",
            Needs::Nothing,
            "mutation($input: UpdateClientSecurityInput!) { updateClientSecurity(input: $input) { enabled } }",
            json!({ "enabled": false }),
            OWNERS,
        ),
        row(
            "rotateClientSigningSecret",
            Needs::Nothing,
            "mutation($input: RotateClientSigningSecretInput!) { rotateClientSigningSecret(input: $input) { signingSecret } }",
            json!({ "gracePeriod": "NOW" }),
            OWNERS,
        ),
        row(
            "connectIntegration",
            Needs::Nothing,
            "mutation($input: ConnectIntegrationInput!) { connectIntegration(input: $input) { secret } }",
            json!({ "provider": "SALESFORCE" }),
            WRITERS,
        ),
        row(
            "disconnectIntegration",
            Needs::Integration,
            "mutation($input: DisconnectIntegrationInput!) { disconnectIntegration(input: $input) { id } }",
            json!({ "id": "$ID" }),
            WRITERS,
        ),
        row(
            "updateRecoverableKeys",
            Needs::Nothing,
            "mutation($input: UpdateRecoverableKeysInput!) { updateRecoverableKeys(input: $input) { recoverableKeys } }",
            json!({ "enabled": true }),
            OWNERS,
        ),
        row(
            "revealApiKeySecret",
            Needs::RecoverableKey,
            "mutation($input: RevealApiKeySecretInput!) { revealApiKeySecret(input: $input) { secret } }",
            json!({ "id": "$ID" }),
            WRITERS,
        ),
        row(
            "inviteUser",
            Needs::Nothing,
            "mutation($input: InviteUserInput!) { inviteUser(input: $input) { invitationUrl } }",
            json!({ "email": "$EMAIL", "role": "MEMBER" }),
            OWNERS,
        ),
        row(
            "updateUserRole",
            Needs::OtherUser,
            "mutation($input: UpdateUserRoleInput!) { updateUserRole(input: $input) { role } }",
            json!({ "id": "$ID", "role": "MEMBER" }),
            OWNERS,
        ),
        row(
            "disableUser",
            Needs::OtherUser,
            "mutation($input: UserIdInput!) { disableUser(input: $input) { disabled } }",
            json!({ "id": "$ID" }),
            OWNERS,
        ),
        row(
            "enableUser",
            Needs::OtherUser,
            "mutation($input: UserIdInput!) { enableUser(input: $input) { disabled } }",
            json!({ "id": "$ID" }),
            OWNERS,
        ),
        row(
            "removeUser",
            Needs::OtherUser,
            "mutation($input: UserIdInput!) { removeUser(input: $input) }",
            json!({ "id": "$ID" }),
            OWNERS,
        ),
        row(
            "changePassword",
            Needs::Nothing,
            "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { id } }",
            json!({ "currentPassword": crate::harness::PASSWORD, "newPassword": crate::harness::PASSWORD }),
            ALL,
        ),
        row(
            "revokeSession",
            Needs::OwnSession,
            "mutation($input: RevokeSessionInput!) { revokeSession(input: $input) }",
            json!({ "id": "$ID" }),
            ALL,
        ),
    ]
}

#[tokio::test]
async fn each_role_may_do_exactly_what_its_row_says() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    // Recoverable keys on everywhere, so the reveal rows have something to reveal.
    for env in ["production", "staging", "development"] {
        app.as_user(
            &people.owner.token,
            env,
            "mutation { updateRecoverableKeys(input: { enabled: true }) { recoverableKeys } }",
            json!({}),
        )
        .await
        .data();
    }
    let verify_key = app.publishable_key("production");
    let mut failures = Vec::new();
    let mut n = 0;
    for row in rows() {
        let callers = [
            (&people.owner, "production"),
            (&people.member, "staging"),
            (&people.read_only, "development"),
        ];
        for ((who, env), expected) in callers.into_iter().zip(row.expect) {
            n += 1;
            let id = make(&app, &people, who, env, row.needs, n).await;
            let variables = if row.input.is_null() {
                json!({})
            } else {
                let email = format!("invitee{n}@example.com");
                json!({ "input": fill(&row.input, &Filler { id: &id, email: &email, key: &verify_key }) })
            };
            let answer = app.as_user(&who.token, env, row.document, variables).await;
            let got = answer
                .codes()
                .first()
                .cloned()
                .unwrap_or_else(|| "OK".to_owned());
            if got != expected {
                failures.push(format!(
                    "{} as {}: expected {expected}, got {got}: {}",
                    row.operation, who.email, answer.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn api_keys_cannot_manage_people_or_reveal_secrets() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let admin = app.admin();
    let (key_id, _) = app.create_key("any", &["customers:read"]).await;
    let table = [
        ("{ users { edges { node { id } } } }".to_owned(), json!({})),
        ("{ accountAuditEvents { edges { node { id } } } }".to_owned(), json!({})),
        (
            "mutation { inviteUser(input: { email: \"x@example.com\", role: OWNER }) { invitationUrl } }".to_owned(),
            json!({}),
        ),
        (
            "mutation($id: ID!) { disableUser(input: { id: $id }) { id } }".to_owned(),
            json!({ "id": people.owner.id }),
        ),
        (
            "mutation($id: ID!) { revealApiKeySecret(input: { id: $id }) { secret } }".to_owned(),
            json!({ "id": key_id }),
        ),
        ("mutation { updateRecoverableKeys(input: { enabled: true }) { id } }".to_owned(), json!({})),
        (
            "mutation { changePassword(input: { currentPassword: \"x\", newPassword: \"yyyyyyyyyyyyyyy\" }) { id } }".to_owned(),
            json!({}),
        ),
    ];
    for (document, variables) in table {
        let answer = app.gql(Some(&admin), &document, variables).await;
        assert_eq!(answer.code(), "FORBIDDEN", "{document}: {}", answer.body);
    }
    // And a key's viewer has no user and no sessions.
    let data = app
        .ok(
            &admin,
            "{ viewer { user { id } apiKey { id } sessions { edges { node { id } } pageInfo { hasNextPage } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["viewer"]["user"], Value::Null);
    assert_eq!(
        data["viewer"]["sessions"],
        json!({ "edges": [], "pageInfo": { "hasNextPage": false } })
    );
}
