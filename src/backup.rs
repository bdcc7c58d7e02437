//! `keyplane backup PATH`: an online, consistent copy of a running server's SQLite database,
//! checked before it is called a backup.

use std::path::Path;

use keyplane_store::{Store, sqlite_file};

use crate::AppError;

/// Copies the SQLite database at `database_url` to `target` and checks the copy. The source
/// is only read: no migration runs, so a server of another version keeps its file as it was.
pub async fn run(database_url: &str, target: &Path) -> Result<(), AppError> {
    let Some(source) = sqlite_file(database_url) else {
        return Err(refused(
            "keyplane backup copies a SQLite database file; back up PostgreSQL with pg_dump \
             (docs/operations.md, Backups)",
        ));
    };
    // Connecting would create a missing file: a backup of nothing, and a stray database.
    if !source.is_file() {
        return Err(refused(format!(
            "no SQLite database at {}",
            source.display()
        )));
    }
    let store = Store::connect(database_url).await?;
    let copied = store.backup_sqlite(target).await;
    store.close().await?;
    copied?;
    let bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "backup of {} written to {} ({bytes} bytes); integrity_check: ok",
        source.display(),
        target.display()
    );
    Ok(())
}

fn refused(message: impl Into<String>) -> AppError {
    AppError::Refused {
        code: "BAD_USER_INPUT",
        message: message.into(),
    }
}
