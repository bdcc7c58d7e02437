//! `Secret`: the one type that holds an API key, a session token or a password in this crate.
//! Its `Debug` prints nothing of it and it has no `Display`, so no `{:?}` of a value holding a
//! secret, and no error built from one, can print it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret as text: an API key, a session token or a password. Read it with
/// [`expose`](Secret::expose), only to send it or to show it the one time it is shown.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The secret itself. Every call site is a place the secret leaves this type.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_secret() {
        let secret = Secret::new("server-abcdef0123456789");
        let printed = format!("{secret:?} {:?}", Some(&secret));
        assert!(!printed.contains("abcdef"), "{printed}");
        assert_eq!(secret.expose(), "server-abcdef0123456789");
    }

    #[test]
    fn it_travels_as_a_plain_json_string() {
        let secret: Secret = serde_json::from_str("\"client-xyz\"").unwrap();
        assert_eq!(secret.expose(), "client-xyz");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"client-xyz\"");
    }
}
