//! `keyplane backup PATH`: a consistent copy of a running server's SQLite file, taken while
//! keys are being made; refused, changing nothing, for PostgreSQL, a missing source or a path
//! that exists.

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::{ConnectionTrait, Database, Statement};

use crate::harness::{TestApp, TestDatabase};

/// Runs `keyplane backup target` on its own thread, so the test's server goes on serving.
async fn backup(db: &TestDatabase, database_url: &str, target: &Path) -> Output {
    let (url, target, key_file) = (
        database_url.to_owned(),
        target.to_owned(),
        db.scratch_path("keyplane.key"),
    );
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_keyplane"))
            .arg("backup")
            .arg(target)
            .env("DATABASE_URL", url)
            .env("KEYPLANE_DATA_KEY_FILE", key_file)
            .env("RUST_LOG", "warn")
            .output()
            .expect("the keyplane binary runs")
    })
    .await
    .unwrap()
}

async fn key_ids_in(file: &Path) -> Vec<String> {
    let url = format!("sqlite://{}?mode=ro", file.display());
    let db = Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM api_keys",
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter()
        .map(|row| row.try_get::<String>("", "id").unwrap())
        .collect()
}

#[tokio::test]
async fn a_backup_taken_while_keys_are_made_holds_every_key_made_before_it() {
    let app = TestApp::spawn().await;
    let target = app.db.scratch_path("backup.db");
    if app.db.is_postgres() {
        let refused = backup(&app.db, &app.db.url(), &target).await;
        assert!(!refused.status.success());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("pg_dump"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
        assert!(!target.exists(), "nothing written");
        return;
    }
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        acknowledged.push(
            app.create_key(&format!("before-{i}"), &["customers:read"])
                .await
                .0,
        );
    }
    // Writers keep going while the copy runs.
    let copying = AtomicBool::new(true);
    let writer = async {
        let mut made = 0;
        while copying.load(Ordering::Relaxed) {
            app.create_key(&format!("during-{made}"), &["customers:read"])
                .await;
            made += 1;
        }
        made
    };
    let copy = async {
        let output = backup(&app.db, &app.db.url(), &target).await;
        copying.store(false, Ordering::Relaxed);
        output
    };
    let (_, output) = tokio::join!(writer, copy);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("integrity_check: ok"), "{stderr}");
    assert!(output.stdout.is_empty());

    assert_eq!(
        keyplane_store::Store::integrity_check(&target)
            .await
            .unwrap(),
        "ok"
    );
    let copied = key_ids_in(&target).await;
    for id in &acknowledged {
        assert!(
            copied.contains(id),
            "key {id} made before the backup is in it"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the copy holds hashes: owner only");
    }
    // The server served on: a key made after the copy works.
    let (_, after) = app.create_key("after", &["customers:read"]).await;
    assert!(!copied.is_empty() && !after.is_empty());

    // Backing up onto an existing file is refused and leaves that file as it was.
    let again = backup(&app.db, &app.db.url(), &target).await;
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(key_ids_in(&target).await, copied);

    // A symlink planted at the path, even one pointing nowhere, is refused and not followed.
    #[cfg(unix)]
    {
        let planted = app.db.scratch_path("planted.db");
        let pointee = app.db.scratch_path("elsewhere.db");
        std::os::unix::fs::symlink(&pointee, &planted).unwrap();
        let refused = backup(&app.db, &app.db.url(), &planted).await;
        assert!(!refused.status.success());
        assert!(!pointee.exists(), "the symlink was not followed");
    }
    // Nothing is left beside the backups: the copy is staged and linked in whole.
    let dir = target.parent().unwrap();
    let stray: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with(".keyplane-backup-")
        })
        .collect();
    assert!(stray.is_empty(), "no staging directory left behind");
}

#[tokio::test]
async fn a_backup_of_a_missing_database_is_refused_and_creates_nothing() {
    let db = TestDatabase::create().await;
    let missing = db.scratch_path("no-such.db");
    let target = db.scratch_path("copy.db");
    let refused = backup(
        &db,
        &format!("sqlite://{}?mode=rwc", missing.display()),
        &target,
    )
    .await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("no SQLite database"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!missing.exists(), "no stray database made");
    assert!(!target.exists(), "no copy made");
}
