//! Secrets leaking into logs and container output: a `{:?}` of the configuration or of the
//! settings that hold a token, pepper, data key or URL password; the bootstrap's keys and setup
//! link printed to a stdout that is no terminal (a container's, collected into logs); and the
//! session cookie over HTTPS, where a plain-named cookie can be planted by a sibling subdomain
//! or a plain-HTTP answer, and nothing tells the browser to stay on HTTPS.

use std::time::Duration;

use clap::Parser;
use keyplane::config::Cli;
use keyplane_api::HttpSettings;
use keyplane_service::{FlushIntervals, Retention, ServiceSettings, WebhookSettings};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::ServeProcess;
use crate::harness::{PASSWORD, TestApp, TestDatabase, TestOptions};

const DATA_KEY: &str = "8f1d6c0b2a4e3f5d7c9b1a0e2d4c6b8a9f7e5d3c1b0a2e4d6c8b9a7f5e3d1c0b";

#[tokio::test]
async fn debug_output_of_the_configuration_and_settings_shows_no_secret() {
    let cli = Cli::try_parse_from([
        "keyplane",
        "--database-url",
        "postgres://keyplane:database-password-1@db:5432/keyplane?password=query-password-2",
        "--key-pepper",
        "pepper-secret-3",
        "--data-key",
        DATA_KEY,
        "serve",
        "--metrics-token",
        "metrics-secret-4",
        "--redis-url",
        "redis://:redis-password-5@cache:6379/0",
        "--leak-reporter-token",
        "leak-secret-6",
    ])
    .expect("the flags parse");
    let http = HttpSettings {
        max_body_bytes: 1024,
        parse_cache_capacity: 10,
        metrics_token: Some("metrics-secret-4".to_owned()),
        trusted_proxies: None,
    };
    let service = ServiceSettings {
        expiring_soon: chrono::Duration::days(7),
        flush: FlushIntervals {
            activity: Duration::from_secs(1),
            last_used: Duration::from_secs(1),
        },
        key_cache_capacity: 10,
        key_cache_ttl: Duration::from_secs(1),
        retention: Retention::default(),
        sessions: keyplane_domain::session::SessionPolicy::default(),
        public_url: "https://keys.example.com".to_owned(),
        redis: Some(
            keyplane_redis::Redis::open(
                "redis://:redis-password-5@127.0.0.1:1/0",
                Duration::from_millis(10),
            )
            .unwrap(),
        ),
        webhooks: WebhookSettings::default(),
        expiry_sweep: Duration::from_secs(1),
        leak_reporter_token: Some("leak-secret-6".to_owned()),
        legacy_customer_tokens: Default::default(),
        max_event_streams: 1,
        passwords: keyplane_service::passwords::PasswordSettings::default(),
    };
    let printed = [
        format!("{cli:?}"),
        format!("{cli:#?}"),
        format!("{http:?}"),
        format!("{service:?}"),
    ];
    for text in &printed {
        for secret in [
            "database-password-1",
            "query-password-2",
            "pepper-secret-3",
            DATA_KEY,
            "metrics-secret-4",
            "redis-password-5",
            "leak-secret-6",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    // What is not secret still helps whoever reads it.
    assert!(
        printed[0].contains("postgres://keyplane:***@db:5432/keyplane?***"),
        "{}",
        printed[0]
    );
    assert!(
        printed[0].contains("redis://:***@cache:6379/0"),
        "{}",
        printed[0]
    );
    assert!(printed[3].contains("keys.example.com"), "{}", printed[3]);

    // The bootstrap's output: six keys and the setup link's token.
    let app = TestApp::spawn().await;
    let shown = format!("{:?}", app.keys);
    for slug in ["production", "staging", "development"] {
        for secret in [app.server_key(slug), app.publishable_key(slug)] {
            assert!(!shown.contains(&secret), "a default key in {shown}");
        }
    }
    assert!(
        !shown.contains(&app.setup_token()),
        "the setup token in {shown}"
    );
}

/// The secrets a bootstrap's JSON names: six keys and the setup token.
fn secrets_of(written: &Value) -> Vec<String> {
    let mut secrets: Vec<String> = written["environments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|env| {
            ["fullAccessKey", "publishableKey"].map(|k| env[k].as_str().unwrap().to_owned())
        })
        .collect();
    let url = written["ownerSetupUrl"].as_str().unwrap();
    secrets.push(crate::harness::link_token(url));
    secrets
}

#[cfg(unix)]
#[tokio::test]
async fn serve_without_a_terminal_keeps_the_bootstrap_secrets_out_of_stdout_and_logs() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let db = TestDatabase::create().await;
    let path = db.scratch_path("bootstrap-secrets");
    // Something already waits at the path: a world-readable link to another file. It must
    // decide neither where the secrets go nor who may read them.
    let elsewhere = db.scratch_path("world-readable");
    std::fs::write(&elsewhere, "old").unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o644)).unwrap();
    symlink(&elsewhere, &path).unwrap();

    let server = ServeProcess::start(&db, &["--output", "json"], &[]);
    let (stdout, logged) = server.stop();

    let metadata = std::fs::symlink_metadata(&path).unwrap();
    assert!(
        metadata.file_type().is_file(),
        "the link was replaced by a file"
    );
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "old");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let secrets = secrets_of(&written);
    assert_eq!(secrets.len(), 7);
    for secret in &secrets {
        assert!(
            !stdout.contains(secret.as_str()),
            "a secret on stdout: {stdout}"
        );
        assert!(
            !logged.contains(secret.as_str()),
            "a secret in the log: {logged}"
        );
    }
    assert!(stdout.trim().is_empty(), "{stdout}");
    assert!(
        logged.contains(&path.display().to_string()),
        "the log says where the secrets are: {logged}"
    );
    // No partial file is left beside it.
    let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `POST /auth/login` as the owner, with `headers`; answers the status, headers and body.
async fn login(
    app: &TestApp,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = app
        .client
        .post(app.url("/auth/login"))
        .json(&json!({ "email": "owner@example.com", "password": PASSWORD }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// A viewer query carrying `cookie`, with `headers`; answers its status and HSTS header.
async fn viewer_with_cookie(
    app: &TestApp,
    cookie: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, Value) {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("cookie", cookie)
        .header("keyplane-environment", "production")
        .header("origin", format!("https://{}", app.addr))
        .json(&json!({ "query": "{ viewer { user { email } } }" }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let hsts = response
        .headers()
        .get("strict-transport-security")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, hsts, response.json().await.unwrap_or(Value::Null))
}

const HTTPS: (&str, &str) = ("x-forwarded-proto", "https");

#[tokio::test]
async fn over_https_the_session_cookie_is_host_only_and_strict_transport_security_is_sent() {
    let app = TestApp::spawn_with(TestOptions {
        trusted_proxies: Some("127.0.0.1"),
        ..TestOptions::default()
    })
    .await;
    app.setup_owner().await;

    let (status, headers, body) = login(&app, &[HTTPS]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap();
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with(&format!("__Host-keyplane_session={token};")),
        "{cookie}"
    );
    for attribute in ["Secure", "Path=/", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert_eq!(headers["strict-transport-security"], "max-age=31536000");

    // The __Host- cookie signs the browser in over HTTPS; a plain-named one, which a sibling
    // subdomain or a plain-HTTP answer could have planted, is not read there.
    let host_cookie = format!("__Host-keyplane_session={token}");
    let (status, hsts, body) = viewer_with_cookie(&app, &host_cookie, &[HTTPS]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["viewer"]["user"]["email"], "owner@example.com");
    assert_eq!(hsts.as_deref(), Some("max-age=31536000"));
    let plain_cookie = format!("keyplane_session={token}");
    let (status, _, body) = viewer_with_cookie(&app, &plain_cookie, &[HTTPS]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Every HTTPS answer carries it, the console's pages too.
    let console = app
        .client
        .get(app.url("/console"))
        .header(HTTPS.0, HTTPS.1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        console.headers()["strict-transport-security"],
        "max-age=31536000"
    );

    // Over plain HTTP: the plain name, and no HSTS (browsers ignore it there).
    let (status, headers, body) = login(&app, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("keyplane_session="), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(headers.get("strict-transport-security").is_none());
    let (status, hsts, _) = viewer_with_cookie(&app, &host_cookie, &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the __Host- name is for HTTPS only"
    );
    assert!(hsts.is_none());
}

#[tokio::test]
async fn an_untrusted_peer_cannot_claim_https() {
    let app = TestApp::spawn().await;
    app.setup_owner().await;
    let (status, headers, body) = login(&app, &[HTTPS]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("keyplane_session="), "{cookie}");
    assert!(headers.get("strict-transport-security").is_none());
}
