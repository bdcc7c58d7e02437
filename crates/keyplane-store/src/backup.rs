//! An online backup of a SQLite database: `VACUUM INTO` copies it in one read transaction, so
//! the copy holds every write committed before the copy began and nothing half-written, while
//! the server goes on serving (WAL mode: the writer is never blocked by the reader).

use std::path::Path;

use keyplane_domain::RuleViolation;
use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::Connection as _;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::{Store, StoreError};

impl Store {
    /// Copies this SQLite database to `target`, a file that must not exist yet; it is created
    /// readable by its owner only (it holds key hashes and sealed secrets). On PostgreSQL,
    /// refused: `pg_dump` is the tool there.
    pub async fn backup_sqlite(&self, target: &Path) -> Result<(), StoreError> {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            return Err(RuleViolation::bad_input(
                "database",
                "backup copies a SQLite database; back up PostgreSQL with pg_dump",
            )
            .into());
        }
        let text = target.to_str().ok_or_else(|| {
            StoreError::from(RuleViolation::bad_input(
                "path",
                "the backup path is not valid UTF-8",
            ))
        })?;
        // Made here, empty and owner-only, so the copy never exists with wider permissions
        // and an existing file (or a symlink planted at the path) is refused, never written.
        create_private(target)?;
        let copied = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "VACUUM INTO ?",
                [text.into()],
            ))
            .await;
        if let Err(err) = copied {
            // Never leave a partial copy that could be mistaken for a backup.
            let _ = std::fs::remove_file(target);
            return Err(err.into());
        }
        Ok(())
    }

    /// `PRAGMA integrity_check` of the SQLite file at `path`, opened read-only (the check
    /// changes nothing in it, not even its journal mode): `ok`, or the problems it found.
    pub async fn integrity_check(path: &Path) -> Result<String, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false);
        let mut connection = options.connect().await.map_err(sqlx_error)?;
        let lines: Vec<(String,)> = sea_orm::sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(&mut connection)
            .await
            .map_err(sqlx_error)?;
        connection.close().await.map_err(sqlx_error)?;
        Ok(lines
            .into_iter()
            .map(|(line,)| line)
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

/// An error of the check's own connection. Its text names the file and SQLite's complaint,
/// never a value stored in it.
fn sqlx_error(err: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Database(DbErr::Custom(err.to_string()))
}

/// The file a `sqlite:` URL names (`sqlite://keyplane.db?mode=rwc` → `keyplane.db`); `None` for
/// any other URL and for an in-memory database.
pub fn sqlite_file(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| Path::new(path))
}

fn create_private(target: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(target).map(drop).map_err(|err| {
        let message = if err.kind() == std::io::ErrorKind::AlreadyExists {
            "the backup path already exists: choose a new file".to_owned()
        } else {
            format!("cannot create the backup file: {err}")
        };
        StoreError::from(RuleViolation::bad_input("path", message))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_url_names_its_file() {
        let cases = [
            ("sqlite://keyplane.db?mode=rwc", Some("keyplane.db")),
            (
                "sqlite:///var/lib/keyplane/keyplane.db",
                Some("/var/lib/keyplane/keyplane.db"),
            ),
            ("sqlite:data.db", Some("data.db")),
            ("sqlite::memory:", None),
            ("sqlite://", None),
            ("postgres://postgres@127.0.0.1/keyplane", None),
        ];
        for (url, file) in cases {
            assert_eq!(sqlite_file(url), file.map(Path::new), "{url}");
        }
    }
}
