//! The client's config file: named profiles, each a server's URL, the environment a person
//! acts in (sent as `Keyplane-Environment`) and the session token `keyplane login` got.
//!
//! It lives at `$KEYPLANE_CONFIG`, else `$XDG_CONFIG_HOME/keyplane/config.toml`, else
//! `~/.config/keyplane/config.toml`. It is only ever written whole, to a new file created
//! with mode 0600 (in a directory created with 0700) that is then renamed over the old one,
//! so it is never readable by others, not even for a moment.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use keyplane_client::Secret;
use serde::{Deserialize, Serialize};

use super::exit::Failure;
use super::output::Out;

/// The profile used when none is named.
pub const DEFAULT: &str = "default";

/// The environment a person's session acts in when neither `--environment` nor the profile
/// names one.
pub const DEFAULT_ENVIRONMENT: &str = "production";

/// The file's contents.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One server, environment and session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The only secret the file holds. `Secret`'s `Debug` does not show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<Secret>,
}

/// Where the config file is, by the rule in the module's comment.
pub fn path() -> Result<PathBuf, Failure> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = set("KEYPLANE_CONFIG") {
        return Ok(PathBuf::from(path));
    }
    if let Some(dir) = set("XDG_CONFIG_HOME").map(PathBuf::from)
        && dir.is_absolute()
    {
        return Ok(dir.join("keyplane").join("config.toml"));
    }
    set("HOME")
        .map(|home| PathBuf::from(home).join(".config/keyplane/config.toml"))
        .ok_or_else(|| Failure::Local("no config file: set KEYPLANE_CONFIG or HOME".to_owned()))
}

impl ConfigFile {
    /// The file at `path`, or an empty one when there is none.
    pub fn load(path: &Path, out: &Out) -> Result<Self, Failure> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(err) => {
                return Err(Failure::Local(format!(
                    "cannot read {}: {err}",
                    path.display()
                )));
            }
        };
        warn_if_readable_by_others(path, out);
        // toml's message quotes the offending line, which may be the token: say where only.
        toml::from_str(&text).map_err(|err| {
            let at = err
                .span()
                .map(|span| format!(" (at byte {})", span.start))
                .unwrap_or_default();
            Failure::Local(format!(
                "{} is not a keyplane config file{at}",
                path.display()
            ))
        })
    }

    /// The profile `name`, or an empty one when the file has none of that name.
    pub fn profile(&self, name: &str) -> Profile {
        self.profiles.get(name).cloned().unwrap_or_default()
    }

    /// Writes the whole file: a new file of mode 0600 beside it, renamed over it.
    pub fn save(&self, path: &Path) -> Result<(), Failure> {
        let local = |what: &str, err: std::io::Error| {
            Failure::Local(format!("cannot {what} {}: {err}", path.display()))
        };
        let text = toml::to_string(self)
            .map_err(|_| Failure::Local("the config cannot be written as TOML".to_owned()))?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| local("create the directory of", e))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "config.toml".to_owned());
        let temporary = dir.join(format!(".{file_name}.{}", uuid::Uuid::now_v7()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&temporary).and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        });
        if let Err(err) = written.and_then(|()| std::fs::rename(&temporary, path)) {
            let _ = std::fs::remove_file(&temporary);
            return Err(local("write", err));
        }
        Ok(())
    }
}

/// A file holding a session token that others can read has leaked it already: say so.
fn warn_if_readable_by_others(path: &Path, out: &Out) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            out.warn(&format!(
                "{} can be read by other users; run chmod 600 on it, and keyplane login again if it held a session",
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_round_trips_and_its_debug_hides_the_token() {
        let mut file = ConfigFile::default();
        file.profiles.insert(
            "staging".into(),
            Profile {
                url: Some("https://keys.example.com".into()),
                environment: Some("staging".into()),
                session_token: Some(Secret::new("session-token-value")),
            },
        );
        let text = toml::to_string(&file).unwrap();
        let back: ConfigFile = toml::from_str(&text).unwrap();
        let staging = back.profile("staging");
        assert_eq!(staging.environment.as_deref(), Some("staging"));
        assert_eq!(
            staging.session_token.as_ref().map(Secret::expose),
            Some("session-token-value")
        );
        assert!(!format!("{back:?}").contains("session-token-value"));
        assert!(back.profile("other").url.is_none());
    }
}

/// Whether `saved` (a profile's URL, as `keyplane login` wrote it) and `url` name the same
/// server: scheme, host, port and path, a trailing `/` aside. A session is only ever sent to
/// the server that issued it.
pub fn same_server(saved: &str, url: &str) -> bool {
    let parse = |text: &str| keyplane_client::Url::parse(text.trim()).ok();
    match (parse(saved), parse(url)) {
        (Some(a), Some(b)) => {
            a.scheme() == b.scheme()
                && a.host_str().map(str::to_ascii_lowercase)
                    == b.host_str().map(str::to_ascii_lowercase)
                && a.port_or_known_default() == b.port_or_known_default()
                && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
        }
        _ => false,
    }
}

#[cfg(test)]
mod same_server_tests {
    use super::same_server;

    #[test]
    fn a_session_goes_only_to_the_server_it_was_saved_for() {
        for (saved, url, same) in [
            (
                "https://keys.example.com",
                "https://keys.example.com/",
                true,
            ),
            (
                "https://keys.example.com",
                "https://KEYS.example.com:443",
                true,
            ),
            ("https://keys.example.com", "http://keys.example.com", false),
            (
                "https://keys.example.com",
                "https://evil.example.com",
                false,
            ),
            (
                "https://keys.example.com",
                "https://keys.example.com:8443",
                false,
            ),
            (
                "https://keys.example.com/kp",
                "https://keys.example.com",
                false,
            ),
            ("https://keys.example.com", "not a url", false),
        ] {
            assert_eq!(same_server(saved, url), same, "{saved} {url}");
        }
    }
}
