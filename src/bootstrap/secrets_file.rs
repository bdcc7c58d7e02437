//! Where `serve` hands over the secrets of a bootstrap when no terminal is there to read them
//! (a container, a service manager, a pipe into a log collector): a file only its owner can
//! read, whose path, and nothing else, is logged.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::AppError;

/// A file for the secrets, mode 0600. It is made under a name of its own beside the target
/// and renamed onto it once written, so a file or a symbolic link already at the target never
/// decides who can read the new secrets, and a replica whose bootstrap lost the race leaves
/// the winner's file alone.
#[derive(Debug)]
pub struct SecretsFile {
    file: std::fs::File,
    partial: PathBuf,
    path: PathBuf,
}

impl SecretsFile {
    /// Makes the file (not yet at `path`), readable and writable by its owner only.
    pub fn create(path: &Path) -> Result<Self, AppError> {
        let mut name = path.file_name().unwrap_or_default().to_owned();
        name.push(format!(".partial-{}", uuid_like()));
        let partial = path.with_file_name(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&partial).map_err(|err| {
            AppError::SecretsFile(format!("cannot create {}: {err}", partial.display()))
        })?;
        Ok(Self {
            file,
            partial,
            path: path.to_owned(),
        })
    }

    /// Writes `text`, puts the file at its path and answers the path.
    pub fn write(mut self, text: &str) -> Result<PathBuf, AppError> {
        let written = writeln!(self.file, "{text}")
            .and_then(|()| self.file.sync_all())
            .and_then(|()| std::fs::rename(&self.partial, &self.path));
        if let Err(err) = written {
            let _ = std::fs::remove_file(&self.partial);
            return Err(AppError::SecretsFile(format!(
                "cannot write {}: {err}",
                self.path.display()
            )));
        }
        Ok(self.path)
    }

    /// Removes the file again: nothing was bootstrapped into it.
    pub fn discard(self) {
        let _ = std::fs::remove_file(&self.partial);
    }
}

/// A name part no other process picks at the same time.
fn uuid_like() -> String {
    use rand::Rng;
    format!(
        "{}-{:016x}",
        std::process::id(),
        rand::rng().random::<u64>()
    )
}
