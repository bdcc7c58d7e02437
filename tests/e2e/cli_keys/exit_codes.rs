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

#[tokio::test]
async fn usage_errors_exit_2_before_anything_is_sent() {
    let app = TestApp::spawn().await;
    let cli = Keyplane::new(&app, &app.admin());
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
        // An id that would change the route is refused by the client, never sent.
        vec!["keys", "get", ".."],
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

    // keys verify: a refused key exits 3 too, with the answer on stdout.
    let verified = cli
        .clone()
        .stdin(&revoked)
        .run(&["keys", "verify", "--output", "json"])
        .await;
    assert_eq!(verified.code, 3, "{}", verified.stderr);
    assert_eq!(verified.json()["code"], "REVOKED");
    verified.stderr_holds_none_of(&[&revoked]);

    for args in [
        vec!["keys", "get", UNKNOWN_ID],
        vec!["keys", "rotate", UNKNOWN_ID, "--grace", "now"],
        vec!["keys", "revoke", UNKNOWN_ID],
        // `/` is sent percent-encoded, as part of the id: no other route is reached.
        vec!["keys", "get", "../environment"],
        vec!["keys", "enable", "a/b"],
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
    // Keyplane asks to wait an hour, longer than the client waits: no retry, exit 6.
    let refused = as_limited.run(&["keys", "list"]).await;
    assert_exit(&refused, 6, Some("RATE_LIMITED"));

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
