//! How two runs' answers are made comparable: placeholders filled in and put back, and only
//! the fields both front ends answer alike kept.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::harness::nodes_of;

/// What the answers are compared on: everything else (ids, times, secrets) differs between
/// two fresh fixtures by design.
const COMPARED: &[&str] = &[
    // a key
    "name",
    "description",
    "status",
    "scopes",
    "type",
    "kind",
    "fullAccess",
    "recoverable",
    "disabledReason",
    "customerIds",
    "externalId",
    "metadata",
    "allowedIps",
    "rateLimit",
    "requests",
    "periodSeconds",
    "mode",
    "quota",
    "limit",
    "refill",
    "remaining",
    // a rotation, a revelation, a bulk revocation
    "apiKey",
    "previousKey",
    "revoked",
    "skipped",
    "code",
    // a usage point
    "at",
    "total",
    "byOutcome",
    "count",
];

pub(super) fn fill_text(text: &str, values: &[(&str, String)]) -> String {
    values
        .iter()
        .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
}

pub(super) fn fill(value: &Value, values: &[(&str, String)]) -> Value {
    match value {
        Value::String(text) => Value::String(fill_text(text, values)),
        Value::Array(items) => items.iter().map(|v| fill(v, values)).collect(),
        Value::Object(fields) => fields
            .iter()
            .map(|(name, v)| (name.clone(), fill(v, values)))
            .collect(),
        other => other.clone(),
    }
}

/// `value` with each placeholder's value of this run (its `<tag>`) put back as the
/// placeholder, so two runs' answers compare equal.
pub(super) fn unfill(value: &Value, values: &[(&str, String)]) -> Value {
    match value {
        Value::String(text) => values
            .iter()
            .find(|(_, to)| to == text)
            .map_or_else(|| value.clone(), |(from, _)| json!(from)),
        Value::Array(items) => items.iter().map(|v| unfill(v, values)).collect(),
        Value::Object(fields) => fields
            .iter()
            .map(|(name, v)| (name.clone(), unfill(v, values)))
            .collect(),
        other => other.clone(),
    }
}

/// The same instant in one spelling. Both front ends write RFC 3339 UTC, but REST spells it
/// `…Z` and GraphQL's `DateTime` `…+00:00`.
fn instant(value: &Value) -> Value {
    value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map_or_else(
            || value.clone(),
            |at| {
                json!(
                    at.with_timezone(&Utc)
                        .to_rfc3339_opts(SecondsFormat::Secs, true)
                )
            },
        )
}

/// The compared part of an answer: a REST list's `data` and a GraphQL connection's nodes
/// alike as an array; of objects, only the `COMPARED` fields.
pub(super) fn shape(value: &Value) -> Value {
    match value {
        Value::Array(items) => items.iter().map(shape).collect(),
        Value::Object(fields) => {
            if let Some(items) = fields.get("data") {
                return shape(items);
            }
            if fields.contains_key("edges") {
                return nodes_of(value).iter().map(shape).collect();
            }
            // A key's own list, asked through GraphQL as `apiKey(id) { auditEvents }`.
            for nested in ["auditEvents", "usage"] {
                if let (Some(list), 1) = (fields.get(nested), fields.len()) {
                    return shape(list);
                }
            }
            let mut kept: Map<String, Value> = fields
                .iter()
                .filter(|(name, _)| COMPARED.contains(&name.as_str()))
                .map(|(name, v)| {
                    let v = match name.as_str() {
                        // Metadata is the platform's own JSON: compared whole.
                        "metadata" => v.clone(),
                        "at" => instant(v),
                        _ => shape(v),
                    };
                    (name.clone(), v)
                })
                .collect();
            // A bulk revocation's order is not part of its contract.
            for name in ["revoked", "skipped"] {
                if let Some(Value::Array(items)) = kept.get_mut(name) {
                    items.sort_by_key(|item| item.to_string());
                }
            }
            Value::Object(kept)
        }
        other => other.clone(),
    }
}
