//! Flag values that hold a secret (a pepper, a data key, a database URL with its password):
//! their `Debug` never shows it, so neither does the configuration's.

/// A flag's secret value (pepper, data key, token): its `Debug` never shows it, so neither
/// does the `Debug` of the configuration. Reads as `&str` where it is used.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

impl std::ops::Deref for Secret {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// A URL that may carry a password (`postgres://user:pw@host/db`, `redis://:pw@host`): its
/// `Debug` shows it with the password replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// The URL with any password in it replaced by `***`.
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return "***".to_owned();
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        match authority.rsplit_once('@') {
            Some((user_info, host)) => {
                let user = user_info
                    .split_once(':')
                    .map_or(user_info, |(user, _)| user);
                let masked = if user_info.contains(':') { ":***" } else { "" };
                format!("{scheme}://{user}{masked}@{host}{}", mask_query(tail))
            }
            None => format!("{scheme}://{authority}{}", mask_query(tail)),
        }
    }
}

/// A query string may carry a password too (`?password=…`): it is not shown.
fn mask_query(tail: &str) -> String {
    match tail.split_once('?') {
        Some((path, _)) => format!("{path}?***"),
        None => tail.to_owned(),
    }
}

impl std::str::FromStr for SecretUrl {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

impl std::ops::Deref for SecretUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}
