//! The servers, callers and fixtures the rows share, and one run of one row through one
//! front end.

use chrono::{Duration, SecondsFormat, Utc};
use keyplane_domain::account::Plan;
use reqwest::RequestBuilder;
use serde_json::{Value, json};

use super::shape::{fill, fill_text, shape, unfill};
use super::{Caller, Case, Target};
use crate::harness::{Gql, TestApp, nodes_of};
use crate::rest::read;

/// The fields of a key both front ends answer and the table compares.
const KEY_FRAGMENT: &str = "fragment Key on ApiKey { id name description status scopes type kind
    fullAccess recoverable disabledReason customerIds externalId metadata allowedIps
    rateLimit { requests periodSeconds mode } quota { limit refill remaining } }";
const READ_BACK: &str =
    "query($id: ID!) { apiKey(id: $id) { ...Key expiresAt replacedBy { ...Key } } }";
const UNKNOWN_ID: &str = "0193a2f4-6b1c-7d2e-9f30-4a5b6c7d8e9f";

/// An error as either front end reports it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Refusal {
    pub code: String,
    pub field: Value,
    pub required_scope: Value,
    pub reason: Value,
}

impl Refusal {
    /// From a REST `error` object or a GraphQL error's `extensions`: the same names.
    fn of(error: &Value) -> Self {
        Self {
            code: error["code"].as_str().unwrap_or("<none>").to_owned(),
            field: error["field"].clone(),
            required_scope: error["requiredScope"].clone(),
            reason: error["reason"].clone(),
        }
    }
}

/// How one front end's run ended: its answer (compared fields only) or its error, and the
/// fixture's keys afterwards.
#[derive(Debug)]
pub(super) struct Outcome {
    pub answer: Result<Value, Refusal>,
    pub after: Vec<Value>,
}

/// The servers and callers every row shares.
pub(super) struct World {
    app: TestApp,
    free: TestApp,
    reader: String,
    writer: String,
    member_session: String,
    read_only_session: String,
    publishable_id: String,
    full_access_id: String,
    /// A key made before recoverable keys were turned on: its secret was never kept.
    unrecoverable_id: String,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Front {
    Rest,
    Graphql,
}

impl World {
    pub(super) async fn new() -> Self {
        let app = TestApp::spawn().await;
        let free = TestApp::spawn_with_plan(Plan::Free).await;
        let (_, reader) = app.create_key("reader", &["api_keys:read"]).await;
        let (_, writer) = app
            .create_key("writer", &["api_keys:write", "customers:read"])
            .await;
        let people = app.people().await;
        let (unrecoverable_id, _) = app.create_key("unrecoverable", &["customers:read"]).await;
        app.as_user(
            &people.owner.token,
            "production",
            "mutation { updateRecoverableKeys(input: {enabled: true}) { recoverableKeys } }",
            json!({}),
        )
        .await
        .data();
        let default_id = |key_type: &'static str| {
            let app = &app;
            async move {
                let found = app
                    .ok(
                        &app.admin(),
                        "query($type: ApiKeyType!) { apiKeys(filter: {type: [$type]}) { edges { node { id } } } }",
                        json!({ "type": key_type }),
                    )
                    .await;
                nodes_of(&found["apiKeys"])[0]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let publishable_id = default_id("PUBLISHABLE").await;
        let full_access_id = default_id("FULL_ACCESS").await;
        Self {
            app,
            free,
            reader,
            writer,
            member_session: people.member.token,
            read_only_session: people.read_only.token,
            publishable_id,
            full_access_id,
            unrecoverable_id,
        }
    }

    /// `request` with the caller's credential: an API key, or a session with its environment.
    fn credential(&self, app: &TestApp, caller: Caller, request: RequestBuilder) -> RequestBuilder {
        let key = match caller {
            Caller::FullAccess => app.admin(),
            Caller::Reader => self.reader.clone(),
            Caller::Writer => self.writer.clone(),
            Caller::Publishable => app.publishable_key("production"),
            Caller::Staging => app.server_key("staging"),
            Caller::Member => return as_person(request, &self.member_session, Some("production")),
            Caller::ReadOnlyPerson => {
                return as_person(request, &self.read_only_session, Some("production"));
            }
            Caller::MemberInStaging => {
                return as_person(request, &self.member_session, Some("staging"));
            }
            Caller::MemberNowhere => return as_person(request, &self.member_session, None),
            Caller::UnknownKey => "server-0000000000000000000000000000000000000000".to_owned(),
            Caller::Nobody => return request,
        };
        request.header("X-API-Key", key)
    }

    /// A fresh fixture for one run: the placeholders' values, and the ids to read back.
    async fn fixture(
        &self,
        app: &TestApp,
        case: &Case,
    ) -> (Vec<(&'static str, String)>, Vec<String>) {
        let now = Utc::now();
        let at = |d: Duration| (now + d).to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut values = vec![
            ("<later>", at(Duration::days(60))),
            ("<past>", at(-Duration::days(1))),
            ("<default>", self.publishable_id.clone()),
            ("<full-access>", self.full_access_id.clone()),
            ("<unrecoverable>", self.unrecoverable_id.clone()),
            ("<tag>", format!("tenant-{}", uuid::Uuid::now_v7().simple())),
        ];
        // The shared keys are read back after every run: it shows no run changed them.
        let mut ids = if case.free_plan {
            Vec::new()
        } else {
            vec![
                self.publishable_id.clone(),
                self.full_access_id.clone(),
                self.unrecoverable_id.clone(),
            ]
        };
        let target = match case.target {
            Target::None => None,
            Target::Unknown => {
                values.push(("<target>", UNKNOWN_ID.to_owned()));
                None
            }
            Target::Active | Target::Revoked | Target::Disabled | Target::Pair => {
                Some(app.create_key("target", &["customers:read"]).await.0)
            }
            Target::Configured => Some(
                app.create_key_from(json!({
                    "name": "target", "scopes": ["customers:read"], "description": "billing",
                    "customerIds": ["cus_1"], "rateLimit": { "requests": 10, "periodSeconds": 60 },
                    "metadata": { "plan": "pro" }, "externalId": fill_text("<tag>", &values),
                    "allowedIps": ["192.0.2.0/24"], "quota": { "limit": 100, "refill": "MONTHLY" },
                }))
                .await
                .0,
            ),
            Target::Expiring => Some(
                app.create_key_from(json!({
                    "name": "target", "scopes": ["customers:read"], "expiresAt": at(Duration::days(30)),
                }))
                .await
                .0,
            ),
        };
        if let Some(id) = target {
            match case.target {
                Target::Revoked => {
                    app.ok(
                        &app.admin(),
                        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
                        json!({ "id": id }),
                    )
                    .await;
                }
                Target::Disabled => {
                    app.ok(
                        &app.admin(),
                        "mutation($id: ID!) { disableApiKey(input: {id: $id, reason: \"paused\"}) { id } }",
                        json!({ "id": id }),
                    )
                    .await;
                }
                Target::Pair => {
                    let (second, _) = app.create_key("second", &["customers:read"]).await;
                    values.push(("<second>", second.clone()));
                    ids.push(second);
                }
                _ => {}
            }
            values.push(("<target>", id.clone()));
            ids.push(id);
        }
        (values, ids)
    }

    pub(super) async fn run(&self, case: &Case, front: Front) -> Outcome {
        let app = if case.free_plan {
            &self.free
        } else {
            &self.app
        };
        let (values, mut ids) = self.fixture(app, case).await;
        let answer = match front {
            Front::Rest => {
                let (method, path, body) = &case.rest;
                let mut request = app
                    .client
                    .request(method.clone(), app.url(&fill_text(path, &values)));
                if let Some(body) = body {
                    request = request.json(&fill(body, &values));
                }
                let answer = read(self.credential(app, case.caller, request)).await;
                if answer.status.is_success() {
                    Ok(answer.body)
                } else {
                    Err(Refusal::of(&answer.body["error"]))
                }
            }
            Front::Graphql => {
                let (document, variables) = &case.graphql;
                let request = app.client.post(app.url("/graphql")).json(&json!({
                    "query": with_fragment(document),
                    "variables": fill(variables, &values),
                }));
                let request = self.credential(app, case.caller, request);
                let answer = Gql::read(request.send().await.expect("request sent")).await;
                match answer.body["errors"].get(0) {
                    Some(error) => Err(Refusal::of(&error["extensions"])),
                    // The operation's one root field.
                    None => Ok(answer.body["data"]
                        .as_object()
                        .and_then(|data| data.values().next().cloned())
                        .unwrap_or(Value::Null)),
                }
            }
        };
        // A key the operation made (a created or a rotated-in key) is read back too.
        if let Some(made) = answer
            .as_ref()
            .ok()
            .and_then(|a| a.pointer("/apiKey/id"))
            .and_then(Value::as_str)
        {
            ids.push(made.to_owned());
        }
        let mut after = Vec::with_capacity(ids.len());
        for id in ids {
            let key = app
                .ok(&app.admin(), &with_fragment(READ_BACK), json!({ "id": id }))
                .await["apiKey"]
                .clone();
            after.push(unfill(
                &json!({
                    "key": shape(&key),
                    "expires": !key["expiresAt"].is_null(),
                    "replacedBy": shape(&key["replacedBy"]),
                }),
                &values,
            ));
        }
        Outcome {
            answer: answer.map(|a| unfill(&shape(&a), &values)),
            after,
        }
    }
}

/// `request` with a person's session, acting in `environment`.
fn as_person(request: RequestBuilder, session: &str, environment: Option<&str>) -> RequestBuilder {
    let request = request.bearer_auth(session);
    match environment {
        Some(slug) => request.header("Keyplane-Environment", slug),
        None => request,
    }
}

/// `document` with the `Key` fragment, when it spreads it.
fn with_fragment(document: &str) -> String {
    if document.contains("...Key") {
        format!("{document} {KEY_FRAGMENT}")
    } else {
        document.to_owned()
    }
}
