//! What a row of the role table acts on, made fresh before it runs, and the placeholders its
//! input is filled with.

use serde_json::{Value, json};

use crate::harness::{People, SignedIn, TestApp};

/// What a row's operation acts on, made before it runs.
#[derive(Debug, Clone, Copy)]
pub enum Needs {
    Nothing,
    ScopedKey,
    ExpiringKey,
    FullAccessKey,
    RecoverableKey,
    Integration,
    OtherUser,
    OwnSession,
}

/// What replaces the placeholders of an input: `$ID` (what `needs` made), `$EMAIL` (a fresh
/// address), `$KEY` (a key to verify) and `$LATER` (60 days from now).
pub struct Filler<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub key: &'a str,
}

pub fn fill(input: &Value, with: &Filler<'_>) -> Value {
    match input {
        Value::String(s) => match s.as_str() {
            "$ID" => json!(with.id),
            "$EMAIL" => json!(with.email),
            "$KEY" => json!(with.key),
            "$LATER" => json!((chrono::Utc::now() + chrono::Duration::days(60)).to_rfc3339()),
            _ => input.clone(),
        },
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill(v, with)))
                .collect(),
        ),
        other => other.clone(),
    }
}

pub async fn make(
    app: &TestApp,
    people: &People,
    who: &SignedIn,
    env: &str,
    needs: Needs,
    n: usize,
) -> String {
    let admin = app.server_key(env);
    // Made by the owner: an earlier row may have rotated the full-access key, and a key in its
    // grace period manages no key.
    let create = |input: Value| async move {
        app.as_user(
            &people.owner.token,
            env,
            "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }",
            json!({ "input": input }),
        )
        .await
        .data()["createApiKey"]["apiKey"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    match needs {
        Needs::Nothing => String::new(),
        Needs::ScopedKey | Needs::RecoverableKey => {
            create(json!({ "name": format!("fixture {n}"), "scopes": ["customers:read"] })).await
        }
        Needs::ExpiringKey => {
            create(json!({ "name": format!("fixture {n}"), "scopes": ["customers:read"], "expiresAt": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339() })).await
        }
        Needs::FullAccessKey => app
            .ok(&admin, "{ apiKeys(first: 1, filter: { type: [FULL_ACCESS] }) { edges { node { id } } } }", json!({}))
            .await["apiKeys"]["edges"][0]["node"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        Needs::Integration => app
            .as_user(
                &people.owner.token,
                env,
                "mutation { connectIntegration(input: { provider: HUBSPOT }) { integration { id } } }",
                json!({}),
            )
            .await
            .data()["connectIntegration"]["integration"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        Needs::OtherUser => {
            app.invite(&people.owner, &format!("fixture{n}@example.com"), "READ_ONLY")
                .await
                .id
        }
        Needs::OwnSession => {
            let (_, _, body) = app.login(&who.email, crate::harness::PASSWORD).await;
            let token = body["token"].as_str().expect("a second session").to_owned();
            let data = app
                .as_user(
                    &token,
                    env,
                    "{ viewer { sessions { edges { node { id current } } } } }",
                    json!({}),
                )
                .await
                .data();
            data["viewer"]["sessions"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["node"]["current"] == json!(true))
                .unwrap()["node"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    }
}
