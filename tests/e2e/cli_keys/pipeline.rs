//! The rotation a deploy pipeline runs: `examples/rotate_in_pipeline.sh` with the binary on
//! `PATH`, and a rotation step whose answer a flaky network dropped, retried by the binary
//! under one `Idempotency-Key`, and run again by the pipeline, rotating once.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use keyplane_client::{
    ApiKeyFilter, ApiKeyStatus, AuditEventType, Client, PageRequest, VerificationCode,
    VerifyRequest,
};

use super::Keyplane;
use crate::client::client;
use crate::client::proxy::{Action, Proxy};
use crate::harness::TestApp;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/rotate_in_pipeline.sh"
);

/// Runs the script with `KEYPLANE_URL`, `KEYPLANE_API_KEY`, the binary on `PATH` and `env`.
async fn script(app: &TestApp, env: &[(&str, &str)]) -> super::Ran {
    let bin_dir = Path::new(super::BIN).parent().unwrap().to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let config = app.db.scratch_path("pipeline-config.toml");
    let mut command = Command::new("sh");
    command
        .arg(SCRIPT)
        .env_clear()
        .env("PATH", path)
        .env("HOME", app.db.scratch_path(""))
        .env("KEYPLANE_URL", app.url(""))
        .env("KEYPLANE_API_KEY", app.admin())
        .env("KEYPLANE_CONFIG", config)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    super::Ran {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

async fn verify(admin: &Client, secret: &str) -> VerificationCode {
    admin
        .verify(&VerifyRequest::new(secret))
        .await
        .unwrap()
        .code
}

async fn rotations_of(admin: &Client, id: &str) -> usize {
    let events = admin
        .list_api_key_audit_events(id, &PageRequest::first(100))
        .await
        .unwrap();
    events
        .data
        .iter()
        .filter(|e| e.event_type == AuditEventType::KeyRotated)
        .count()
}

#[tokio::test]
async fn the_pipeline_script_rotates_with_grace_checks_both_secrets_and_revokes_the_old_key() {
    let app = TestApp::spawn().await;
    let admin = client(&app, &app.admin());
    let (id, old_secret) = app.create_key("billing", &["customers:read"]).await;
    let old_file = app.db.scratch_path("old-secret");
    std::fs::write(&old_file, &old_secret).unwrap();
    let new_file = app.db.scratch_path("new-secret");

    let ran = script(
        &app,
        &[
            ("KEY_ID", &id),
            ("OLD_SECRET_FILE", old_file.to_str().unwrap()),
            ("NEW_SECRET_FILE", new_file.to_str().unwrap()),
            ("PIPELINE_RUN", "run-1"),
        ],
    )
    .await
    .ok();
    assert_eq!(ran.stdout, "", "the script prints nothing on stdout");
    let new_secret = std::fs::read_to_string(&new_file).unwrap();
    let new_secret = new_secret.trim();
    ran.stderr_holds_none_of(&[&old_secret, new_secret, &app.admin()]);
    assert_eq!(
        std::fs::metadata(&new_file).unwrap().permissions().mode() & 0o777,
        0o600,
        "the rolled-out secret is only the pipeline user's"
    );

    let old = admin.get_api_key(&id).await.unwrap();
    assert_eq!(old.status, ApiKeyStatus::Revoked);
    let new_id = old.replaced_by_id.expect("rotated");
    assert_eq!(
        admin.get_api_key(&new_id).await.unwrap().status,
        ApiKeyStatus::Active
    );
    assert_eq!(rotations_of(&admin, &id).await, 1);
    assert_eq!(verify(&admin, new_secret).await, VerificationCode::Valid);
    assert_eq!(verify(&admin, &old_secret).await, VerificationCode::Revoked);

    // Without KEY_ID, the script makes the key it rotates.
    script(&app, &[("PIPELINE_RUN", "run-2")]).await.ok();
    let made = admin
        .list_all_api_keys(&ApiKeyFilter {
            name: Some("pipeline-run-2".into()),
            ..ApiKeyFilter::default()
        })
        .await
        .unwrap();
    let statuses: Vec<_> = made.iter().map(|k| k.status).collect();
    assert_eq!(
        statuses,
        [ApiKeyStatus::Active, ApiKeyStatus::Revoked],
        "the new key, then the revoked old one"
    );
}

#[tokio::test]
async fn a_rotation_whose_answer_was_dropped_is_retried_by_the_binary_and_rotates_once() {
    let app = TestApp::spawn().await;
    let admin = client(&app, &app.admin());
    let (id, _) = app.create_key("billing", &["customers:read"]).await;
    let proxy = Proxy::start(app.addr, "/rotate", &[Action::LoseAnswer]).await;
    let cli = Keyplane::new(&app, &app.admin()).env("KEYPLANE_URL", &proxy.url());
    let step = [
        "keys",
        "rotate",
        &id,
        "--grace",
        "1h",
        "--idempotency-key",
        "deploy-7-rotate-billing",
    ];

    let ran = cli.run(&step).await.ok();
    let secret = ran.stdout.trim().to_owned();
    assert_eq!(
        ran.stdout.lines().count(),
        1,
        "stdout holds the secret alone"
    );
    ran.stderr_holds_none_of(&[&secret]);
    let attempts = proxy.seen("/rotate");
    assert_eq!(
        attempts.len(),
        2,
        "the dropped answer was retried: {attempts:?}"
    );
    assert!(
        attempts
            .iter()
            .all(|a| a.idempotency_key.as_deref() == Some("deploy-7-rotate-billing")),
        "{attempts:?}"
    );
    assert_eq!(rotations_of(&admin, &id).await, 1, "rotated once");
    let new_id = admin
        .get_api_key(&id)
        .await
        .unwrap()
        .replaced_by_id
        .unwrap();
    let answer = admin
        .verify(&VerifyRequest::new(secret.as_str()))
        .await
        .unwrap();
    assert_eq!(
        answer.api_key.unwrap().id,
        new_id,
        "the secret printed is the one kept"
    );

    // The pipeline runs the step again: Keyplane answers with the first rotation.
    let again = cli.run(&step).await.ok();
    assert_eq!(again.stdout.trim(), secret);
    assert_eq!(rotations_of(&admin, &id).await, 1, "still rotated once");

    // The same Idempotency-Key for another rotation is a conflict, and changes nothing.
    let (other, _) = app.create_key("other", &["customers:read"]).await;
    let conflict = cli
        .run(&[
            "keys",
            "rotate",
            &other,
            "--grace",
            "1h",
            "--idempotency-key",
            "deploy-7-rotate-billing",
        ])
        .await;
    assert_eq!(conflict.code, 5, "{}", conflict.stderr);
    assert!(
        conflict.stderr.contains("IDEMPOTENCY_CONFLICT"),
        "{}",
        conflict.stderr
    );
    assert_eq!(conflict.stdout, "");
    assert_eq!(rotations_of(&admin, &other).await, 0);
}
