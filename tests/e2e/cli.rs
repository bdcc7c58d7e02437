//! The `keyplane` command line, run as a real process.

use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::harness::TestDatabase;

pub(crate) fn keyplane(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyplane"))
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("KEYPLANE_DATA_KEY_FILE", db.scratch_path("keyplane.key"))
        .env("RUST_LOG", "warn")
        .env_remove("KEYPLANE_KEY_PEPPER")
        .output()
        .expect("the keyplane binary runs")
}

#[tokio::test]
async fn init_prints_the_default_keys_once_and_refuses_to_run_twice() {
    let db = TestDatabase::create().await;
    let first = keyplane(
        &db,
        &[
            "init",
            "--account-name",
            "Globex",
            "--plan",
            "GROWTH",
            "--output",
            "json",
        ],
    );
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let printed: Value = serde_json::from_slice(&first.stdout).expect("JSON on stdout");
    assert_eq!(printed["account"]["name"], "Globex");
    assert_eq!(printed["account"]["plan"], "GROWTH");
    let environments = printed["environments"].as_array().unwrap();
    let slugs: Vec<&str> = environments
        .iter()
        .map(|e| e["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["production", "staging", "development"]);
    for env in environments {
        let full = env["fullAccessKey"].as_str().unwrap();
        let publishable = env["publishableKey"].as_str().unwrap();
        assert!(
            keyplane_domain::secret::KeySecret::parse(full)
                .is_ok_and(|s| s.expose().starts_with("server-"))
        );
        assert!(
            keyplane_domain::secret::KeySecret::parse(publishable)
                .is_ok_and(|s| s.expose().starts_with("client-"))
        );
    }
    let stored_before = db.raw_contents().await;

    let second = keyplane(&db, &["init", "--output", "json"]);
    assert!(!second.status.success(), "a second init fails");
    assert!(second.stdout.is_empty(), "and prints no keys");
    assert!(String::from_utf8_lossy(&second.stderr).contains("already initialised"));
    if db.is_postgres() {
        assert_eq!(db.raw_contents().await, stored_before, "nothing changed");
    }

    let migrate = keyplane(&db, &["migrate"]);
    assert!(migrate.status.success());
}

#[tokio::test]
async fn bad_flags_are_refused_before_anything_runs() {
    let db = TestDatabase::create().await;
    for args in [
        vec!["init", "--plan", "ENTERPRISE"],
        vec!["init", "--account-name", ""],
        vec!["serve", "--listen", "not-an-address"],
        vec!["serve", "--expiring-soon-days", "9999"],
        vec!["serve", "--redis-ca-file", "/etc/hostname"],
    ] {
        let output = keyplane(&db, &args);
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}: no keys printed");
    }
    // A Redis CA that cannot be used is refused before anything is bootstrapped.
    let ca = db.scratch_path("redis-ca.pem");
    std::fs::write(&ca, "not a certificate").unwrap();
    let ca = ca.to_str().unwrap();
    let missing = db.scratch_path("no-such-ca.pem");
    for (args, says) in [
        (
            vec![
                "serve",
                "--redis-url",
                "redis://127.0.0.1:6379",
                "--redis-ca-file",
                ca,
            ],
            "rediss://",
        ),
        (
            vec![
                "serve",
                "--redis-url",
                "rediss://127.0.0.1:6379",
                "--redis-ca-file",
                ca,
            ],
            "no PEM certificate",
        ),
        (
            vec![
                "serve",
                "--redis-url",
                "rediss://127.0.0.1:6379",
                "--redis-ca-file",
                missing.to_str().unwrap(),
            ],
            "cannot read the Redis CA file",
        ),
    ] {
        let output = keyplane(&db, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}: no keys printed");
    }
    assert_eq!(db.count_rows("api_keys").await, 0, "nothing bootstrapped");
}

/// A `keyplane serve` process on a free port of 127.0.0.1, started with `args` and `env`
/// beside the test database's, and running until [`ServeProcess::stop`].
pub(crate) struct ServeProcess {
    child: std::process::Child,
    pub addr: std::net::SocketAddr,
    logged: Vec<String>,
    stderr: std::thread::JoinHandle<Vec<String>>,
    stdout: std::thread::JoinHandle<String>,
}

impl ServeProcess {
    /// Starts the server and waits until it listens. Its stdout is a pipe (not a terminal).
    pub(crate) fn start(db: &TestDatabase, args: &[&str], env: &[(&str, &str)]) -> Self {
        use std::io::{BufRead, BufReader};
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyplane"))
            .args(["serve", "--listen", &listen])
            .args(args)
            .env("DATABASE_URL", db.url())
            .env("KEYPLANE_DATA_KEY_FILE", db.scratch_path("keyplane.key"))
            .env(
                "KEYPLANE_BOOTSTRAP_SECRETS_FILE",
                db.scratch_path("bootstrap-secrets"),
            )
            .env("RUST_LOG", "info")
            .env_remove("KEYPLANE_KEY_PEPPER")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("keyplane serve starts");
        // The server logs "keyplane serving" on stderr once it listens; secrets, if any, were
        // handed out before that.
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut logged = Vec::new();
        for line in stderr.by_ref() {
            let line = line.unwrap();
            let listening = line.contains("keyplane serving");
            logged.push(line);
            if listening {
                break;
            }
        }
        assert!(
            logged
                .last()
                .is_some_and(|l| l.contains("keyplane serving")),
            "serve did not start:\n{}",
            logged.join("\n")
        );
        // Keep draining stderr so the server never writes into a closed pipe.
        let stderr = std::thread::spawn(move || stderr.map_while(Result::ok).collect::<Vec<_>>());
        let out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut BufReader::new(out), &mut text);
            text
        });
        Self {
            child,
            addr: listen.parse().unwrap(),
            logged,
            stderr,
            stdout,
        }
    }

    /// Stops the server with SIGTERM, checks that it exited cleanly, and answers what it
    /// printed on stdout and logged on stderr.
    pub(crate) fn stop(mut self) -> (String, String) {
        terminate(&mut self.child);
        let status = self.child.wait().unwrap();
        let mut logged = self.logged;
        logged.extend(self.stderr.join().unwrap());
        let logged = logged.join("\n");
        assert!(
            status.success(),
            "a SIGTERM ends serve cleanly: {status}\n{logged}"
        );
        (self.stdout.join().unwrap(), logged)
    }
}

/// Runs `keyplane serve` until it listens, stops it, and answers what it printed on stdout.
fn serve(db: &TestDatabase) -> String {
    ServeProcess::start(db, &["--output", "json"], &[]).stop().0
}

fn terminate(child: &mut std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn serve_bootstraps_an_empty_database_once_and_stops_gracefully_on_sigterm() {
    let db = TestDatabase::create().await;
    let printed = serve(&db);
    assert_eq!(
        printed.trim(),
        "",
        "stdout is no terminal: the keys go to the file"
    );
    let written = std::fs::read_to_string(db.scratch_path("bootstrap-secrets")).unwrap();
    let keys: Value = serde_json::from_str(written.trim()).expect("the default keys, as JSON");
    assert_eq!(keys["environments"].as_array().unwrap().len(), 3);
    std::fs::remove_file(db.scratch_path("bootstrap-secrets")).unwrap();

    let printed_again = serve(&db);
    assert_eq!(
        printed_again.trim(),
        "",
        "an initialised database prints no keys"
    );
    assert!(
        !db.scratch_path("bootstrap-secrets").exists(),
        "and writes none"
    );
}

#[tokio::test]
async fn set_plan_changes_the_plan_and_existing_keys_keep_working() {
    let db = TestDatabase::create().await;
    let init = keyplane(&db, &["init", "--output", "json"]);
    assert!(init.status.success());
    let before = keyplane(&db, &["set-plan"]);
    assert!(!before.status.success(), "the plan is required");
    let bad = keyplane(&db, &["set-plan", "--plan", "PLATINUM"]);
    assert!(!bad.status.success());
    let down = keyplane(&db, &["set-plan", "--plan", "FREE"]);
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(String::from_utf8_lossy(&down.stdout).contains("FREE"));

    let empty = TestDatabase::create().await;
    let uninitialised = keyplane(&empty, &["set-plan", "--plan", "SCALE"]);
    assert!(
        !uninitialised.status.success(),
        "nothing to change before init"
    );
}

#[tokio::test]
async fn user_add_and_reset_password_print_one_time_links() {
    let app = crate::harness::TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let reset = keyplane(
        &app.db,
        &["user", "reset-password", "--email", "Owner@example.com"],
    );
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    let printed = String::from_utf8_lossy(&reset.stdout);
    let url = printed
        .lines()
        .find(|l| l.contains("/console/reset-password#"))
        .expect("a reset link");
    let new_password = "a brand new passphrase";
    app.accept(
        json!({ "token": crate::harness::link_token(url.trim()), "password": new_password }),
    )
    .await
    .data();
    // The reset ended every session and the old password no longer works.
    let viewer = "{ viewer { user { id } } }";
    assert_eq!(
        app.as_user(&owner.token, "production", viewer, json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.login("owner@example.com", crate::harness::PASSWORD)
            .await
            .0,
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("owner@example.com", new_password).await.0,
        reqwest::StatusCode::OK
    );

    let add = keyplane(
        &app.db,
        &[
            "user",
            "add",
            "--email",
            "ops@example.com",
            "--role",
            "READ_ONLY",
        ],
    );
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let printed = String::from_utf8_lossy(&add.stdout);
    let url = printed
        .lines()
        .find(|l| l.contains("/console/invitation#"))
        .expect("an invitation link");
    let joined = app
        .accept(json!({ "token": crate::harness::link_token(url.trim()), "displayName": "Ops", "password": new_password }))
        .await
        .data();
    assert_eq!(joined["acceptInvitation"]["user"]["role"], "READ_ONLY");

    let unknown = keyplane(
        &app.db,
        &["user", "reset-password", "--email", "nobody@example.com"],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("NOT_FOUND"));
}
