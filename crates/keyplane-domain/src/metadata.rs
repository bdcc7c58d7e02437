//! What a platform attaches to a key to find and recognise it: free-form `metadata` (a small
//! JSON object, answered with every verification) and an `externalId` (the platform's own
//! tenant or user id, indexed, so "every key of tenant X" is one query).

use std::fmt;
use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::RuleViolation;

/// The largest metadata object, serialised.
pub const MAX_METADATA_BYTES: usize = 4096;

/// Keys starting with this are kept for Keyplane's own use.
pub const RESERVED_METADATA_PREFIX: &str = "keyplane";

/// The longest external id.
pub const MAX_EXTERNAL_ID_CHARS: usize = 255;

/// A validated metadata object, held as its compact JSON text. Keys are cached with it and
/// verification answers write it as it is ([`Metadata::as_raw`]), so a verification neither
/// parses nor re-serialises it.
#[derive(Clone)]
pub struct Metadata(Arc<RawValue>);

impl PartialEq for Metadata {
    fn eq(&self, other: &Self) -> bool {
        self.as_json() == other.as_json()
    }
}

impl Eq for Metadata {}

impl Metadata {
    /// A JSON object of at most [`MAX_METADATA_BYTES`] serialised, no key of which starts with
    /// `keyplane` (in any case).
    pub fn parse(value: &Value) -> Result<Self, RuleViolation> {
        let Value::Object(object) = value else {
            return Err(RuleViolation::bad_input(
                "metadata",
                "metadata must be a JSON object",
            ));
        };
        if object.keys().any(|key| {
            key.to_ascii_lowercase()
                .starts_with(RESERVED_METADATA_PREFIX)
        }) {
            return Err(RuleViolation::bad_input(
                "metadata",
                "metadata keys starting with \"keyplane\" are reserved",
            ));
        }
        if object
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value))
        {
            // PostgreSQL's jsonb cannot hold U+0000, so such metadata could be stored but
            // never filtered by.
            return Err(RuleViolation::bad_input(
                "metadata",
                "metadata must not contain the NUL character (U+0000)",
            ));
        }
        let text = serde_json::to_string(object)
            .map_err(|_| RuleViolation::bad_input("metadata", "metadata must be a JSON object"))?;
        if text.len() > MAX_METADATA_BYTES {
            return Err(RuleViolation::bad_input(
                "metadata",
                format!("metadata may take at most {MAX_METADATA_BYTES} bytes as JSON"),
            ));
        }
        Self::from_text(text)
            .ok_or_else(|| RuleViolation::bad_input("metadata", "metadata must be a JSON object"))
    }

    /// Metadata as it was stored (already validated when it was written).
    pub fn from_stored(text: &str) -> Option<Self> {
        serde_json::from_str::<Map<String, Value>>(text).ok()?;
        Self::from_text(text.to_owned())
    }

    fn from_text(text: String) -> Option<Self> {
        RawValue::from_string(text)
            .ok()
            .map(|raw| Self(Arc::from(raw)))
    }

    /// The compact JSON text of the object.
    pub fn as_json(&self) -> &str {
        self.0.get()
    }

    /// The object as JSON to write into an answer, without parsing it again.
    pub fn as_raw(&self) -> &RawValue {
        &self.0
    }

    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.as_json()).unwrap_or(Value::Null)
    }
}

impl fmt::Debug for Metadata {
    // Metadata is the platform's data: its size is enough for a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Metadata({} bytes)", self.as_json().len())
    }
}

/// An external id: 1 to 255 characters, none of them a control character.
pub fn parse_external_id(text: &str) -> Result<String, RuleViolation> {
    let count = text.chars().count();
    if text.trim().is_empty() || count > MAX_EXTERNAL_ID_CHARS || text.chars().any(char::is_control)
    {
        return Err(RuleViolation::bad_input(
            "externalId",
            format!(
                "an external id is 1 to {MAX_EXTERNAL_ID_CHARS} characters, none of them a control character"
            ),
        ));
    }
    Ok(text.to_owned())
}

/// Whether a JSON value holds U+0000 in any string or object key, at any depth.
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(object) => object
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// A metadata key to filter a listing by: the same keys metadata may hold, and no control
/// character (no stored key holds one a caller could mean, and NUL cannot reach PostgreSQL).
pub fn parse_metadata_filter_key(key: &str) -> Result<String, RuleViolation> {
    if key.is_empty() || key.len() > MAX_METADATA_BYTES || key.chars().any(char::is_control) {
        return Err(RuleViolation::bad_input(
            "filter.metadata.key",
            "name a metadata key",
        ));
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn metadata_is_a_small_object_without_reserved_keys() {
        let cases = [
            (json!({"tenant": "acme", "plan": "pro", "seats": 5}), true),
            (json!({}), true),
            (json!({"nested": {"keyplane": 1}}), true),
            (json!(["tenant"]), false),
            (json!("acme"), false),
            (json!(null), false),
            (json!({"keyplane_id": 1}), false),
            (json!({"KeyPlane": 1}), false),
            (json!({"blob": "x".repeat(MAX_METADATA_BYTES)}), false),
            (json!({"tenant": "ac\u{0}me"}), false),
            (json!({"te\u{0}nant": "acme"}), false),
            (json!({"deep": [{"list": ["\u{0}"]}]}), false),
            (json!({"tab": "a\tb"}), true),
        ];
        for (value, ok) in cases {
            let parsed = Metadata::parse(&value);
            assert_eq!(parsed.is_ok(), ok, "{value}");
            if let Err(violation) = parsed {
                assert_eq!(violation.field, Some("metadata"));
            }
        }
    }

    #[test]
    fn metadata_round_trips_through_its_stored_text() {
        let metadata = Metadata::parse(&json!({"tenant": "acme", "seats": 5})).unwrap();
        let stored = Metadata::from_stored(metadata.as_json()).unwrap();
        assert_eq!(stored, metadata);
        assert_eq!(stored.to_value(), json!({"tenant": "acme", "seats": 5}));
        assert!(Metadata::from_stored("[1]").is_none());
    }

    #[test]
    fn a_metadata_filter_names_a_printable_key() {
        assert_eq!(parse_metadata_filter_key("tenant").unwrap(), "tenant");
        for key in ["", "a\u{0}b", "a\nb", &"k".repeat(MAX_METADATA_BYTES + 1)] {
            assert!(parse_metadata_filter_key(key).is_err(), "{key:?}");
        }
    }

    #[test]
    fn external_ids_are_bounded_printable_text() {
        assert_eq!(parse_external_id("tenant_42").unwrap(), "tenant_42");
        assert!(parse_external_id("").is_err());
        assert!(parse_external_id("   ").is_err());
        assert!(parse_external_id("a\nb").is_err());
        assert!(parse_external_id(&"t".repeat(MAX_EXTERNAL_ID_CHARS)).is_ok());
        assert!(parse_external_id(&"t".repeat(MAX_EXTERNAL_ID_CHARS + 1)).is_err());
    }
}
