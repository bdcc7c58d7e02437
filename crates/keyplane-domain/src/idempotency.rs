//! Idempotency keys: a mutation request carrying one runs at most once per environment, caller
//! and key for a day; a retry gets the stored response, if the caller still has the authority
//! it ran with.

use chrono::{Duration, SecondsFormat};
use sha2::{Digest, Sha256};

use crate::error::RuleViolation;
use crate::key::ApiKey;
use crate::scope::{Missing, ScopeSet};
use crate::user::Role;

/// How long a stored response is replayed, and a key stays taken.
pub const RETENTION: Duration = Duration::hours(24);
pub const MAX_KEY_CHARS: usize = 255;
pub const HEADER: &str = "Idempotency-Key";

/// A client-chosen idempotency key: 1 to 255 printable ASCII characters.
pub fn parse_idempotency_key(key: &str) -> Result<String, RuleViolation> {
    if key.is_empty() || key.len() > MAX_KEY_CHARS || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RuleViolation::bad_input(
            HEADER,
            format!(
                "an Idempotency-Key is 1 to {MAX_KEY_CHARS} printable ASCII characters without spaces"
            ),
        ));
    }
    Ok(key.to_owned())
}

/// What a request is, for its fingerprint: its method, path (with the query string, if any)
/// and exact body. A bodiless POST is told apart by its path.
#[derive(Debug, Clone, Copy)]
pub struct RequestShape<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
}

/// What identifies "the same request": the same method, path and exact body, made by the same
/// caller. Each part is length-prefixed, so no two requests share a preimage.
pub fn fingerprint(caller_id: &str, request: RequestShape<'_>) -> String {
    let mut hasher = Sha256::new();
    for part in [
        caller_id.as_bytes(),
        request.method.as_bytes(),
        request.path.as_bytes(),
        request.body,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// What a caller was allowed when its request ran: the scopes it acted with (a person's are
/// their role's) and, for a key, a digest of the bounds it was held to (type, customers, IP
/// ranges, expiry, quota, rate limit). Stored with the response; a replay is answered only to
/// a caller whose authority now covers it ([`Authority::may_replay`]), so whatever rule let
/// the request run would let it run now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    scopes: ScopeSet,
    /// Hex SHA-256 of the key's bounds; empty for a person, whom only the role binds.
    bounds: String,
}

impl Authority {
    pub fn of_key(key: &ApiKey) -> Self {
        let list = |items: Option<Vec<String>>| items.map_or("any".to_owned(), |i| i.join(","));
        let mut customers = key.customer_ids.clone();
        if let Some(ids) = customers.as_mut() {
            ids.sort_unstable();
        }
        let text = format!(
            "type={}\ncustomers={}\nips={}\nexpires={}\nquota={}\nrate={}",
            key.key_type.as_str(),
            list(customers),
            list(key.allowed_ips.as_ref().map(|r| r.to_strings())),
            key.expires_at.map_or("never".to_owned(), |at| {
                at.to_rfc3339_opts(SecondsFormat::Micros, true)
            }),
            key.quota.as_ref().map_or("none".to_owned(), |q| {
                format!("{}/{}", q.quota.limit, q.quota.refill.as_str())
            }),
            key.rate_limit.map_or("none".to_owned(), |r| {
                format!("{}/{}/{}", r.requests, r.period_seconds, r.mode.as_str())
            }),
        );
        Self {
            scopes: key.scopes,
            bounds: hex::encode(Sha256::digest(text.as_bytes())),
        }
    }

    pub fn of_role(role: Role) -> Self {
        Self {
            scopes: role.scopes(),
            bounds: String::new(),
        }
    }

    /// `<bounds>;<scopes>`: the bounds digest (empty for a person), then the stored scopes.
    pub fn to_stored(&self) -> String {
        format!("{};{}", self.bounds, self.scopes.to_stored())
    }

    pub fn from_stored(text: &str) -> Option<Self> {
        let (bounds, scopes) = text.split_once(';')?;
        Some(Self {
            scopes: ScopeSet::from_stored(scopes).ok()?,
            bounds: bounds.to_owned(),
        })
    }

    /// Whether a response made under `then` may be handed to a caller with this authority
    /// now: every scope it had then it still has, and (a key) its bounds are unchanged.
    /// Otherwise `FORBIDDEN`, naming the first scope it lost. `then` is `None` for a record
    /// kept before authorities were: never replayed.
    pub fn may_replay(&self, then: Option<&Authority>) -> Result<(), RuleViolation> {
        let Some(then) = then else {
            return Err(RuleViolation::forbidden(
                "this Idempotency-Key's response was stored before replays were checked; it is not replayed",
                None,
            ));
        };
        match self.scopes.first_missing(&then.scopes) {
            None => {}
            Some(Missing::Scope(scope)) => {
                return Err(RuleViolation::forbidden(
                    format!(
                        "the caller no longer has the scope {scope} it made this request with; its response is not replayed"
                    ),
                    Some(scope),
                ));
            }
            Some(Missing::All) => {
                return Err(RuleViolation::forbidden(
                    "the caller no longer has the full access (*) it made this request with; its response is not replayed",
                    None,
                ));
            }
        }
        if self.bounds != then.bounds {
            return Err(RuleViolation::forbidden(
                "the calling key's restrictions changed since it made this request; its response is not replayed",
                None,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_printable_ascii() {
        let long = "k".repeat(MAX_KEY_CHARS + 1);
        let max = "k".repeat(MAX_KEY_CHARS);
        let cases: &[(&str, bool)] = &[
            ("order-42", true),
            ("0b8f5a4e-7f1c-4a57-9d3e-5d2c7c1a9b10", true),
            (&max, true),
            ("", false),
            (" ", false),
            ("has space", false),
            ("é", false),
            (&long, false),
        ];
        for (key, ok) in cases {
            assert_eq!(parse_idempotency_key(key).is_ok(), *ok, "{key:?}");
        }
    }

    fn scoped(scopes: &[&str]) -> ApiKey {
        ApiKey {
            id: "01a20201-4ac2-7475-a56c-427daeac8e37".into(),
            environment_id: "01a20201-4ac2-7475-a56c-427daeac8e38".into(),
            key_type: crate::key::ApiKeyType::Scoped,
            name: "caller".into(),
            description: None,
            scopes: ScopeSet::from_requested(scopes).unwrap(),
            masked_key: "server-••••Ab12".into(),
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
            created_at: chrono::Utc::now(),
            created_by: crate::audit::Actor::system(),
            rotated_from_id: None,
            replaced_by_id: None,
            customer_ids: None,
            rate_limit: None,
            integration_id: None,
            recoverable: false,
            metadata: None,
            external_id: None,
            disabled: None,
            allowed_ips: None,
            quota: None,
        }
    }

    #[test]
    fn a_replay_needs_the_authority_the_request_ran_with() {
        let writer = scoped(&["api_keys:write", "customers:read"]);
        let mut narrowed_customers = writer.clone();
        narrowed_customers.customer_ids = Some(vec!["cus_1".into()]);
        let mut later_expiry = writer.clone();
        later_expiry.expires_at = Some(chrono::Utc::now());
        let mut used_more = writer.clone();
        used_more.last_used_at = Some(chrono::Utc::now());
        let key = Authority::of_key;
        let role = Authority::of_role;
        // (now, then, replayed?, requiredScope of the refusal)
        type Case = (Authority, Authority, bool, Option<&'static str>);
        let cases: Vec<Case> = vec![
            (key(&writer), key(&writer), true, None),
            (key(&used_more), key(&writer), true, None),
            (
                key(&scoped(&["api_keys:write", "customers:write"])),
                key(&writer),
                true,
                None,
            ),
            (
                key(&scoped(&["api_keys:read", "customers:read"])),
                key(&writer),
                false,
                Some("api_keys:write"),
            ),
            (key(&narrowed_customers), key(&writer), false, None),
            (key(&later_expiry), key(&writer), false, None),
            (role(Role::Member), role(Role::Member), true, None),
            (role(Role::Owner), role(Role::Member), true, None),
            (
                role(Role::ReadOnly),
                role(Role::Member),
                false,
                Some("api_keys:write"),
            ),
            (role(Role::Member), role(Role::Owner), false, None),
        ];
        for (i, (now, then, replayed, required)) in cases.into_iter().enumerate() {
            let stored = Authority::from_stored(&then.to_stored()).unwrap();
            assert_eq!(stored, then, "case {i}: the stored form reads back");
            let result = now.may_replay(Some(&stored));
            assert_eq!(result.is_ok(), replayed, "case {i}");
            if let Err(refusal) = result {
                assert_eq!(refusal.code, crate::ErrorCode::Forbidden, "case {i}");
                assert_eq!(
                    refusal.required_scope.map(|s| s.to_string()).as_deref(),
                    required,
                    "case {i}"
                );
            }
        }
        assert!(
            role(Role::Owner).may_replay(None).is_err(),
            "an old record is not replayed"
        );
        assert!(Authority::from_stored("no separator").is_none());
    }

    #[test]
    fn fingerprints_differ_by_body_and_by_caller() {
        let shape = |method, path, body| RequestShape { method, path, body };
        let body: &[u8] = b"{\"query\":\"mutation{x}\"}";
        let a = fingerprint("k1", shape("POST", "/graphql", body));
        assert_eq!(a, fingerprint("k1", shape("POST", "/graphql", body)));
        assert_ne!(a, fingerprint("k2", shape("POST", "/graphql", body)));
        assert_ne!(
            a,
            fingerprint(
                "k1",
                shape("POST", "/graphql", b"{\"query\":\"mutation{y}\"}")
            )
        );
        assert_ne!(a, fingerprint("k1", shape("PATCH", "/graphql", body)));
        // Two bodiless POSTs to different paths are different requests.
        assert_ne!(
            fingerprint("k1", shape("POST", "/api/v1/api-keys/a/revoke", b"")),
            fingerprint("k1", shape("POST", "/api/v1/api-keys/b/revoke", b""))
        );
        // No part can borrow bytes from its neighbour.
        assert_ne!(
            fingerprint("k1", shape("POST", "/a", b"b")),
            fingerprint("k1", shape("POST", "/ab", b""))
        );
    }
}
