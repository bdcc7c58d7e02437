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
    /// Copies this SQLite database to `target`, a path where nothing exists yet, and checks the
    /// copy. The copy is made in a fresh owner-only directory beside `target`, checked with
    /// `PRAGMA integrity_check`, made owner-only (it holds key hashes and sealed secrets),
    /// flushed to disk, and only then linked in at `target`: a failure, or a kill, never leaves
    /// a partial copy at `target`, and the link is refused if anything (a file, a symlink)
    /// appeared there meanwhile. On PostgreSQL, refused: `pg_dump` is the tool there.
    pub async fn backup_sqlite(&self, target: &Path) -> Result<(), StoreError> {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            return Err(refused(
                "database",
                "backup copies a SQLite database; back up PostgreSQL with pg_dump",
            ));
        }
        if target.symlink_metadata().is_ok() {
            return Err(refused("path", EXISTS));
        }
        let target = std::path::absolute(target)
            .map_err(|err| refused("path", format!("the backup path cannot be used: {err}")))?;
        let directory = target.parent().unwrap_or(Path::new("/"));
        let staging = directory.join(format!(".keyplane-backup-{}", uuid::Uuid::now_v7()));
        create_private_directory(&staging)?;
        let copied = self.copy_into(&staging.join("copy.db"), &target).await;
        let _ = std::fs::remove_dir_all(&staging);
        copied
    }

    async fn copy_into(&self, copy: &Path, target: &Path) -> Result<(), StoreError> {
        // An absolute path: never read as a `file:` URI by SQLite.
        let text = copy
            .to_str()
            .ok_or_else(|| refused("path", "the backup path is not valid UTF-8"))?;
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "VACUUM INTO ?",
                [text.into()],
            ))
            .await?;
        let verdict = Self::integrity_check(copy).await?;
        if verdict != "ok" {
            return Err(StoreError::Corrupt(format!(
                "the copy failed PRAGMA integrity_check: {verdict}"
            )));
        }
        let local = |what: &str, err: std::io::Error| {
            StoreError::Database(DbErr::Custom(format!("backup: cannot {what}: {err}")))
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(copy, std::fs::Permissions::from_mode(0o600))
                .map_err(|err| local("make the copy owner-only", err))?;
        }
        std::fs::File::open(copy)
            .and_then(|file| file.sync_all())
            .map_err(|err| local("flush the copy", err))?;
        std::fs::hard_link(copy, target).map_err(|err| {
            if err.kind() == std::io::ErrorKind::AlreadyExists {
                refused("path", EXISTS)
            } else {
                refused("path", format!("cannot create the backup file: {err}"))
            }
        })?;
        if let Some(directory) = target.parent() {
            // The new name itself is durable once its directory is.
            let _ = std::fs::File::open(directory).and_then(|dir| dir.sync_all());
        }
        Ok(())
    }

    /// `PRAGMA integrity_check` of the SQLite file at `path`, opened read-only (the check
    /// changes nothing in it, not even its journal mode): `ok`, or the problems it found. A
    /// file with no tables at all (not a copy of a Keyplane database) is a problem too.
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
        let (tables,): (i64,) =
            sea_orm::sqlx::query_as("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
                .fetch_one(&mut connection)
                .await
                .map_err(sqlx_error)?;
        connection.close().await.map_err(sqlx_error)?;
        if tables == 0 {
            return Ok("the file holds no tables".to_owned());
        }
        Ok(lines
            .into_iter()
            .map(|(line,)| line)
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

const EXISTS: &str = "the backup path already exists: choose a new file";

fn refused(field: &'static str, message: impl Into<String>) -> StoreError {
    RuleViolation::bad_input(field, message).into()
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

fn create_private_directory(path: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(|err| {
        refused(
            "path",
            format!("cannot write beside the backup path: {err}"),
        )
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
