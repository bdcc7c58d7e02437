//! People's listings: the account's users and a user's own live sessions, newest first, a page
//! at a time.

use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestApp, TestOptions, check_connection};

const USER_PAGE: &str = "query($first: Int, $after: String) {
  users(first: $first, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";
const SESSION_PAGE: &str = "query($first: Int, $after: String) {
  viewer { sessions(first: $first, after: $after) {
    edges { cursor node { id current } } pageInfo { hasNextPage endCursor } } } }";

/// The ids of the caller's live sessions, newest first.
async fn session_ids(app: &TestApp, token: &str) -> Vec<String> {
    let data = app
        .as_user(token, "production", SESSION_PAGE, json!({ "first": 100 }))
        .await
        .data();
    data["viewer"]["sessions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["cursor"].as_str().unwrap().to_owned())
        .collect()
}

/// Logs `email` in again; answers the new session's token.
async fn log_in(app: &TestApp, email: &str) -> String {
    let (_, _, body) = app.login(email, PASSWORD).await;
    body["token"].as_str().expect("signed in").to_owned()
}

#[tokio::test]
async fn users_are_listed_newest_first_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let first = app.invite(&owner, "first@example.com", "MEMBER").await;
    // Made between the first and second invited users: an id of another listing.
    let (foreign, _) = app.create_key("between", &["customers:read"]).await;
    let second = app.invite(&owner, "second@example.com", "READ_ONLY").await;
    let third = app.invite(&owner, "third@example.com", "MEMBER").await;
    let expected = [third.id, second.id, first.id, owner.id];
    check_connection(
        async |variables| {
            app.as_user(&owner.token, "production", USER_PAGE, variables)
                .await
        },
        |data| &data["users"],
        &expected,
        Some(&foreign),
    )
    .await;
}

#[tokio::test]
async fn a_users_own_sessions_are_listed_newest_first_and_never_anothers() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let mut tokens = vec![owner.token.clone(), log_in(&app, &owner.email).await];
    // Another user's session, opened between the owner's second and third.
    let member = app.invite(&owner, "member@example.com", "MEMBER").await;
    let foreign = session_ids(&app, &member.token).await;
    assert_eq!(foreign.len(), 1);
    tokens.push(log_in(&app, &owner.email).await);
    tokens.push(log_in(&app, &owner.email).await);
    let newest = tokens.last().unwrap().clone();
    let expected = session_ids(&app, &newest).await;
    assert_eq!(expected.len(), 4, "the owner's four sessions");
    assert!(!expected.contains(&foreign[0]));
    let current = app
        .as_user(&newest, "production", SESSION_PAGE, json!({ "first": 1 }))
        .await
        .data();
    assert_eq!(
        current["viewer"]["sessions"]["edges"][0]["node"]["current"],
        json!(true),
        "the newest session is the one asking"
    );
    check_connection(
        async |variables| {
            app.as_user(&newest, "production", SESSION_PAGE, variables)
                .await
        },
        |data: &Value| &data["viewer"]["sessions"],
        &expected,
        Some(&foreign[0]),
    )
    .await;
}

#[tokio::test]
async fn a_session_that_idled_out_is_not_listed() {
    let app = TestApp::spawn_with(TestOptions {
        sessions: keyplane_domain::session::SessionPolicy {
            idle: chrono::Duration::seconds(8),
            absolute: chrono::Duration::days(1),
        },
        ..TestOptions::default()
    })
    .await;
    let owner = app.setup_owner().await;
    let idle_from = std::time::Instant::now();
    let first = session_ids(&app, &owner.token).await;
    assert_eq!(first.len(), 1);
    // A second session, opened half way: when the first has idled out (8 s after its last
    // request), the second still has about four seconds to live.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let second = log_in(&app, &owner.email).await;
    tokio::time::sleep(std::time::Duration::from_millis(8_200).saturating_sub(idle_from.elapsed()))
        .await;
    let listed = session_ids(&app, &second).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_ne!(listed[0], first[0], "only the live session");
}
