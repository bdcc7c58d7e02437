//! Password hashing cannot be turned into a denial of service or a lockout: a flood of logins
//! is answered (`UNAVAILABLE` past the bounded queue), an IPv6 client counts per /64,
//! `changePassword` is throttled like login, and a bot failing on someone's email does not
//! keep its owner out.

use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

use keyplane_service::passwords::{Allowance, GuessThrottle, PasswordSettings};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestApp, TestOptions};

/// Test servers believe `X-Forwarded-For` from the test client, so each request can come from
/// the client address it names.
fn behind_a_proxy() -> TestOptions {
    TestOptions {
        trusted_proxies: Some("127.0.0.1/32,::1"),
        ..TestOptions::default()
    }
}

/// `POST /auth/login` from `client`: the status, the error code (if any) and the response.
async fn login_from(
    app: &TestApp,
    client: &str,
    email: &str,
    password: &str,
) -> (StatusCode, String, reqwest::header::HeaderMap) {
    let response = app
        .client
        .post(app.url("/auth/login"))
        .header("X-Forwarded-For", client)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("request sent");
    let (status, headers) = (response.status(), response.headers().clone());
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    (status, code, headers)
}

#[tokio::test]
async fn a_flood_of_logins_is_answered_rather_than_queued_without_bound() {
    // One hash at a time and two waiting: forty at once must mostly be refused.
    let app = TestApp::spawn_with(TestOptions {
        passwords: PasswordSettings {
            concurrent_hashes: NonZeroUsize::MIN,
            waiting_hashes: 2,
            throttle: GuessThrottle::default(),
        },
        ..behind_a_proxy()
    })
    .await;
    let attempts = (0..40).map(|i| {
        let app = &app;
        async move {
            let client = format!("198.51.100.{}", i + 1);
            let email = format!("someone{i}@example.com");
            login_from(app, &client, &email, "not the password").await
        }
    });
    let answers =
        tokio::time::timeout(Duration::from_secs(60), futures::future::join_all(attempts))
            .await
            .expect("every login is answered");
    let mut refused = 0;
    for (status, code, headers) in &answers {
        match code.as_str() {
            "UNAUTHENTICATED" => assert_eq!(*status, StatusCode::UNAUTHORIZED),
            "UNAVAILABLE" => {
                assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE);
                assert!(headers.contains_key("retry-after"));
                refused += 1;
            }
            other => panic!("unexpected answer {status} {other}"),
        }
    }
    let ran = answers.len() - refused;
    assert!(ran >= 3, "the hashes that fit still run: {ran}");
    assert!(refused > 0, "past the queue, logins are refused at once");
    // Once the flood has passed, a person gets in.
    app.setup_owner().await;
    let (status, code, _) = login_from(&app, "192.0.2.10", "owner@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{code}");
}

#[tokio::test]
async fn ipv6_clients_in_one_64_share_the_login_limit() {
    // Four attempts from one client, then it waits (an hour: longer than the test).
    let app = TestApp::spawn_with(TestOptions {
        passwords: PasswordSettings {
            throttle: GuessThrottle {
                per_client: Allowance {
                    burst: NonZeroU32::new(4).unwrap(),
                    period: Duration::from_secs(3600),
                },
                ..GuessThrottle::default()
            },
            ..PasswordSettings::default()
        },
        ..behind_a_proxy()
    })
    .await;
    // Every address of a /64 is one client, however many it hops between.
    for i in 1..=4 {
        let (_, code, _) = login_from(
            &app,
            &format!("2001:db8:7:7::{i:x}"),
            &format!("user{i}@example.com"),
            "not the password",
        )
        .await;
        assert_eq!(code, "UNAUTHENTICATED", "attempt {i}");
    }
    let (status, code, _) = login_from(
        &app,
        "2001:db8:7:7:ffff:1:2:3",
        "another@example.com",
        "not the password",
    )
    .await;
    assert_eq!(code, "RATE_LIMITED");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The next /64 is another client.
    let (_, code, _) = login_from(
        &app,
        "2001:db8:7:8::1",
        "another@example.com",
        "not the password",
    )
    .await;
    assert_eq!(code, "UNAUTHENTICATED");
}

const CHANGE_PASSWORD: &str = "mutation($input: ChangePasswordInput!) {
    changePassword(input: $input) { id } }";

#[tokio::test]
async fn change_password_is_throttled_like_login() {
    let app = TestApp::spawn_with(behind_a_proxy()).await;
    let owner = app.setup_owner().await;
    let change = |current: &'static str| {
        let (app, token) = (&app, owner.token.clone());
        async move {
            app.as_user(
                &token,
                "production",
                CHANGE_PASSWORD,
                json!({ "input": {
                    "currentPassword": current,
                    "newPassword": "a brand new passphrase",
                } }),
            )
            .await
        }
    };
    for attempt in 1..=5 {
        let answer = change("a wrong guess at it").await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "attempt {attempt}");
    }
    let answer = change("a wrong guess at it").await;
    assert_eq!(answer.code(), "RATE_LIMITED");
    // Throttled before the password is looked at: the right one waits too.
    let answer = change(PASSWORD).await;
    assert_eq!(answer.code(), "RATE_LIMITED");
    // The password did not change; from another client, the owner still gets in.
    let elsewhere = "198.51.100.77";
    let (status, _, _) = login_from(
        &app,
        elsewhere,
        "owner@example.com",
        "a brand new passphrase",
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, code, _) = login_from(&app, elsewhere, "owner@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{code}");
}

/// A minute of the login throttle, compressed (longer than a few hashes take in a debug build).
const MINUTE: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn an_owner_gets_in_while_a_bot_tries_their_email() {
    // The default throttle with its minute made short: five at once, then one a "minute".
    let throttle = GuessThrottle {
        per_email: Allowance {
            burst: NonZeroU32::new(5).unwrap(),
            period: MINUTE,
        },
        ..GuessThrottle::default()
    };
    let app = TestApp::spawn_with(TestOptions {
        passwords: PasswordSettings {
            throttle,
            ..PasswordSettings::default()
        },
        ..behind_a_proxy()
    })
    .await;
    app.setup_owner().await;
    let (bot, owner) = ("203.0.113.9", "198.51.100.4");
    // The bot spends the email's burst at once, then keeps trying every minute.
    let burst = (0..6).map(|_| login_from(&app, bot, "owner@example.com", "guess guess guess"));
    let mut bot_codes: Vec<String> = futures::future::join_all(burst)
        .await
        .into_iter()
        .map(|(_, code, _)| code)
        .collect();
    bot_codes.sort();
    assert_eq!(
        bot_codes[..1],
        ["RATE_LIMITED"],
        "the bot itself is throttled"
    );
    assert_eq!(bot_codes[1..], ["UNAUTHENTICATED"; 5]);
    for minute in 0..4 {
        tokio::time::sleep(MINUTE).await;
        let (_, code, _) = login_from(&app, bot, "owner@example.com", "guess guess guess").await;
        assert!(
            code == "UNAUTHENTICATED" || code == "RATE_LIMITED",
            "{code}"
        );
        let (status, code, _) = login_from(&app, owner, "owner@example.com", PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "minute {minute}: {code}");
    }
}
