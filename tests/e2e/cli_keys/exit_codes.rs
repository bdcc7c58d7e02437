//! Every exit code of the client commands, as a pipeline branches on them, with the server's
//! code on stderr.

use serde_json::json;

use super::Keyplane;
use crate::harness::TestApp;

/// An id of the right form that no key has.
const UNKNOWN_ID: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

#[track_caller]
fn assert_exit(ran: &super::Ran, code: i32, server_code: Option<&str>) {
    assert_eq!(
        ran.code, code,
        "stderr: {}\nstdout: {}",
        ran.stderr, ran.stdout
    );
    assert_eq!(ran.stdout, "", "a failure prints no result");
    if let Some(server_code) = server_code {
        assert!(ran.stderr.contains(server_code), "{}", ran.stderr);
    }
}

/// A server that answers nothing and records whatever reaches it for three idle seconds: its
/// URL, and the bytes it got.
async fn recorder() -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Ok(Ok((mut socket, _))) =
            tokio::time::timeout(std::time::Duration::from_secs(3), listener.accept()).await
        {
            let mut buf = vec![0; 8192];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    (url, received)
}

#[tokio::test]
async fn usage_errors_exit_2_before_anything_is_sent() {
    let app = TestApp::spawn().await;
    let (url, received) = recorder().await;
    let cli = Keyplane::new(&app, &app.admin()).env("KEYPLANE_URL", &url);
    let before = app.snapshot().await;
    for args in [
        vec!["keys", "list", "--no-such-flag"],
        vec!["keys", "list", "--status", "SLEEPING"],
        vec!["keys", "rotate", UNKNOWN_ID],
        vec!["keys", "rotate", UNKNOWN_ID, "--grace", "2d"],
        vec!["keys", "create", "--name", "no-scopes"],
        vec![
            "keys",
            "create",
            "--name",
            "x",
            "--scopes",
            "a:b",
            "--rate-limit",
            "lots",
        ],
        vec!["keys", "update", UNKNOWN_ID],
        vec!["keys", "expire", UNKNOWN_ID, "--in", "30"],
        vec!["keys", "revoke", "--filter", "colour=red"],
        // An empty value (an unset variable) would widen the revocation to every active key.
        vec![
            "keys",
            "revoke",
            "--filter",
            "name=",
            "--filter",
            "status=ACTIVE",
        ],
        vec!["keys", "revoke", "--filter", "external-id= "],
        // A time past the last one there is: a usage error, never a panic (exit 101).
        vec!["keys", "expire", UNKNOWN_ID, "--in", "1000000000d"],
        vec![
            "keys",
            "create",
            "--name",
            "x",
            "--scopes",
            "a:b",
            "--expires-in",
            "1000000000d",
        ],
        vec!["usage", UNKNOWN_ID, "--from", "100000000000d"],
        // Numbers that are no count or length of time.
        vec!["keys", "expire", UNKNOWN_ID, "--in", "0d"],
        vec!["keys", "update", UNKNOWN_ID, "--rate-limit", "0/1m"],
        vec!["keys", "update", UNKNOWN_ID, "--rate-limit", "-5/1m"],
        vec!["keys", "update", UNKNOWN_ID, "--rate-limit", "100/0s"],
        vec!["keys", "update", UNKNOWN_ID, "--quota", "-1/monthly"],
        // An id that would change the route is refused by the client, never sent.
        vec!["keys", "get", ".."],
        vec!["keys", "get", "../environment"],
        vec!["keys", "enable", "a/b"],
        vec!["keys", "get", "a%2Fb"],
        vec!["keys", "get", "a?b"],
        vec!["keys", "get", "a#b"],
        vec!["keys", "get", "a\\b"],
        // A metadata filter's key that would change the query parameter.
        vec!["keys", "list", "--metadata", "a]b=c"],
        vec!["keys", "list", "--idempotency-key", "line\nbreak"],
    ] {
        let ran = cli.run(&args).await;
        assert_exit(&ran, 2, None);
    }
    let nowhere = cli
        .clone()
        .without("KEYPLANE_URL")
        .run(&["keys", "list"])
        .await;
    assert_exit(&nowhere, 2, None);
    let two_secrets = cli
        .clone()
        .stdin("server-x\n")
        .run(&["keys", "verify", "--api-key-stdin"])
        .await;
    assert_exit(&two_secrets, 2, None);

    // No profile of that name in the config file (there is none).
    let unknown_profile = cli.run(&["keys", "list", "--profile", "staging"]).await;
    assert_exit(&unknown_profile, 2, None);
    let blank_key = cli
        .clone()
        .env("KEYPLANE_API_KEY", "  ")
        .run(&["keys", "list"])
        .await;
    assert_exit(&blank_key, 2, None);

    // Nothing was sent, so nothing was changed.
    assert_eq!(received.await.unwrap(), "", "a usage error sent a request");
    assert_eq!(app.snapshot().await, before);
    // Nothing of the server's was made where the client ran.
    assert!(!cli.dir.join("keyplane.db").exists());
    assert!(!cli.dir.join("keyplane.key").exists());
}

#[tokio::test]
async fn refused_credentials_exit_3_and_unknown_keys_exit_4() {
    let app = TestApp::spawn().await;
    let cli = Keyplane::new(&app, &app.admin());
    let no_key = cli
        .clone()
        .without("KEYPLANE_API_KEY")
        .run(&["keys", "list"])
        .await;
    assert_exit(&no_key, 3, None);

    let unknown = cli
        .clone()
        .env("KEYPLANE_API_KEY", "server-thisisnotakeyplanekeyatall")
        .run(&["keys", "list"])
        .await;
    assert_exit(&unknown, 3, Some("UNAUTHENTICATED"));
    unknown.stderr_holds_none_of(&["thisisnotakeyplanekey"]);

    let (revoked_id, revoked) = app.create_key("ci", &["api_keys:read"]).await;
    cli.run(&["keys", "revoke", &revoked_id]).await.ok();
    let with_revoked = cli
        .clone()
        .env("KEYPLANE_API_KEY", &revoked)
        .run(&["keys", "list"])
        .await;
    assert_exit(&with_revoked, 3, Some("UNAUTHENTICATED"));
    with_revoked.stderr_holds_none_of(&[&revoked]);

    let (_, narrow) = app.create_key("narrow", &["customers:read"]).await;
    let forbidden = cli
        .clone()
        .env("KEYPLANE_API_KEY", &narrow)
        .run(&["keys", "list"])
        .await;
    assert_exit(&forbidden, 3, Some("FORBIDDEN"));

    // keys verify: a verified key that is not valid exits 8, not 3 (the asking credential
    // refused), with the answer on stdout.
    let verified = cli
        .clone()
        .stdin(&revoked)
        .run(&["keys", "verify", "--output", "json"])
        .await;
    assert_eq!(verified.code, 8, "{}", verified.stderr);
    assert_eq!(verified.json()["code"], "REVOKED");
    verified.stderr_holds_none_of(&[&revoked]);

    for args in [
        vec!["keys", "get", UNKNOWN_ID],
        vec!["keys", "rotate", UNKNOWN_ID, "--grace", "now"],
        vec!["keys", "revoke", UNKNOWN_ID],
    ] {
        let ran = cli.run(&args).await;
        assert_exit(&ran, 4, Some("NOT_FOUND"));
    }
}

#[tokio::test]
async fn conflicts_exit_5_rate_limits_6_and_an_unreachable_server_7() {
    let app = TestApp::spawn().await;
    let cli = Keyplane::new(&app, &app.admin());
    let create = |name: &'static str| {
        vec![
            "keys",
            "create",
            "--name",
            name,
            "--scopes",
            "customers:read",
            "--idempotency-key",
            "create-once",
        ]
    };
    cli.run(&create("first")).await.ok();
    let conflict = cli.run(&create("second")).await;
    assert_exit(&conflict, 5, Some("IDEMPOTENCY_CONFLICT"));

    let (_, limited) = app
        .create_key_from(json!({
            "name": "limited",
            "scopes": ["api_keys:read"],
            "rateLimit": { "requests": 1, "periodSeconds": 3600 },
        }))
        .await;
    let as_limited = cli.clone().env("KEYPLANE_API_KEY", &limited);
    as_limited.run(&["keys", "list"]).await.ok();
    // Keyplane asks to wait an hour, longer than the client waits: no retry, exit 6. A retry
    // would have waited: nine backoffs from 200 ms take far longer than five seconds.
    let started = std::time::Instant::now();
    let refused = as_limited.run(&["keys", "list", "--attempts", "10"]).await;
    assert_exit(&refused, 6, Some("RATE_LIMITED"));
    assert!(
        refused.stderr.contains("retry in"),
        "the wait asked for is said: {}",
        refused.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = cli
        .clone()
        .env("KEYPLANE_URL", &format!("http://127.0.0.1:{port}"))
        .run(&["keys", "list", "--attempts", "2"])
        .await;
    assert_exit(&unreachable, 7, Some("could not reach Keyplane"));
    unreachable.stderr_holds_none_of(&[&app.admin()]);

    // Input the server refuses is any other failure: 1, with its code.
    let bad_scope = cli
        .run(&["keys", "create", "--name", "x", "--scopes", "nothing:real"])
        .await;
    assert_exit(&bad_scope, 1, Some("BAD_USER_INPUT"));
}

/// A verified key out of its rate limit exits 9, not 6 (the asking credential rate limited).
#[tokio::test]
async fn a_verified_key_out_of_its_rate_limit_exits_9() {
    let app = TestApp::spawn().await;
    let cli = Keyplane::new(&app, &app.admin());
    let (_, limited) = app
        .create_key_from(json!({
            "name": "limited",
            "scopes": ["customers:read"],
            "rateLimit": { "requests": 1, "periodSeconds": 3600 },
        }))
        .await;
    let verify = cli.clone().stdin(&limited);
    verify.run(&["keys", "verify"]).await.ok();
    let refused = verify.run(&["keys", "verify", "--output", "json"]).await;
    assert_eq!(refused.code, 9, "{}", refused.stderr);
    assert_eq!(refused.json()["code"], "RATE_LIMITED");
}

/// stdout that cannot take a new secret (a full disk, a closed pipe) fails the command, and
/// stderr says which key changed and how to be answered the same secret again.
#[tokio::test]
async fn a_secret_stdout_cannot_take_fails_and_says_how_to_get_it_again() {
    let app = TestApp::spawn().await;
    let cli = Keyplane::new(&app, &app.admin());
    let create = [
        "keys",
        "create",
        "--name",
        "lost",
        "--scopes",
        "customers:read",
    ];
    let full = cli.clone().stdout_to("/dev/full").run(&create).await;
    assert_eq!(full.code, 1, "{}", full.stderr);
    assert!(
        full.stderr.contains("cannot write to stdout"),
        "{}",
        full.stderr
    );
    // The key was made: its id and the run's Idempotency-Key are on stderr.
    let listed = cli
        .run(&["keys", "list", "--name", "lost", "-o", "json"])
        .await
        .ok()
        .json();
    let id = listed[0]["id"].as_str().unwrap();
    assert!(full.stderr.contains(id), "{}", full.stderr);
    let key = full
        .stderr
        .split("--idempotency-key ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no idempotency key on stderr: {}", full.stderr))
        .to_owned();
    // Run again under it: the same key, and its secret this time.
    let mut again = create.to_vec();
    again.extend(["--idempotency-key", key.as_str(), "--output", "json"]);
    let replayed = cli.run(&again).await.ok().json();
    assert_eq!(replayed["apiKey"]["id"], id);
    assert!(replayed["secret"].as_str().unwrap().starts_with("server-"));
    // Table output of a list to /dev/full fails too.
    let listing = cli
        .clone()
        .stdout_to("/dev/full")
        .run(&["keys", "list", "--all"])
        .await;
    assert_eq!(listing.code, 1, "{}", listing.stderr);
    // Completions too: an exit 1, not a panic (101).
    let completions = cli
        .clone()
        .stdout_to("/dev/full")
        .run(&["completions", "bash"])
        .await;
    assert_eq!(completions.code, 1, "{}", completions.stderr);
}

/// A profile's session goes only to the server it was saved for: `--url` or `KEYPLANE_URL`
/// naming another one leaves it unsent.
#[tokio::test]
async fn a_profile_session_is_never_sent_to_another_server() {
    let app = TestApp::spawn().await;
    let cli = Keyplane::new(&app, "").without("KEYPLANE_API_KEY");
    let config = cli.config_path();
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!(
            "[profiles.default]\nurl = \"{}\"\nenvironment = \"production\"\nsession_token = \"session-token-of-the-profile\"\n",
            app.url("").trim_end_matches('/')
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // Another server that records whatever reaches it.
    let (other, received) = recorder().await;
    for ran in [
        cli.clone()
            .env("KEYPLANE_URL", &other)
            .run(&["keys", "list"])
            .await,
        cli.clone()
            .without("KEYPLANE_URL")
            .run(&["keys", "list", "--url", &other])
            .await,
    ] {
        assert_exit(&ran, 3, None);
        assert!(ran.stderr.contains("not "), "{}", ran.stderr);
    }
    let seen = received.await.unwrap();
    assert!(
        !seen.contains("session-token-of-the-profile"),
        "the session reached another server: {seen}"
    );
    assert_eq!(seen, "", "nothing is sent to the other server");
}

/// A pipeline with an API key and a URL needs no config file: a broken one is never read.
#[tokio::test]
async fn a_pipeline_with_a_key_and_a_url_never_reads_the_config_file() {
    let app = TestApp::spawn().await;
    let cli = Keyplane::new(&app, &app.admin());
    let config = cli.config_path();
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "this is [not toml").unwrap();
    cli.run(&["keys", "list"]).await.ok();
    // Naming a profile reads it, and says it is broken.
    let named = cli.run(&["keys", "list", "--profile", "default"]).await;
    assert_eq!(named.code, 1, "{}", named.stderr);
}
