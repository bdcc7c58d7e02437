//! Scopes (`resource:access`), the catalogue of resources, presets, and the scope sets keys hold.

use std::fmt;

use crate::error::RuleViolation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// One row of the permission catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    pub name: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    /// Whether `write` exists for this resource (`event_queue` is read only).
    pub writable: bool,
}

/// The permission catalogue. Adding a resource is one line here; scoped keys never inherit it,
/// the full-access key (`*`) does.
pub const CATALOGUE: &[Resource] = &[
    Resource {
        name: "customers",
        display_name: "Customers",
        description: "Customer records and their data.",
        writable: true,
    },
    Resource {
        name: "subscriptions",
        display_name: "Subscriptions",
        description: "Subscriptions of customers to plans.",
        writable: true,
    },
    Resource {
        name: "coupons",
        display_name: "Coupons",
        description: "Discounts and coupon logic.",
        writable: true,
    },
    Resource {
        name: "api_keys",
        display_name: "API keys",
        description: "The API keys of the environment.",
        writable: true,
    },
    Resource {
        name: "event_queue",
        display_name: "Event queue",
        description: "Temporary credentials for the event queue.",
        writable: false,
    },
];

/// `resource:access`, known to the catalogue. `write` implies `read` on the same resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    resource: &'static str,
    access: Access,
}

impl Scope {
    pub const API_KEYS_READ: Scope = Scope::new_unchecked("api_keys", Access::Read);
    pub const API_KEYS_WRITE: Scope = Scope::new_unchecked("api_keys", Access::Write);
    pub const EVENT_QUEUE_READ: Scope = Scope::new_unchecked("event_queue", Access::Read);

    const fn new_unchecked(resource: &'static str, access: Access) -> Self {
        Self { resource, access }
    }

    pub fn parse(text: &str) -> Result<Self, RuleViolation> {
        Self::parse_named(text, "the value")
    }

    /// Parses `text`, calling it `subject` (`scopes[2]`) in a refusal. The refusal never
    /// repeats `text`: a caller may have pasted a secret into the wrong field, and an error
    /// carries it into responses and logs.
    fn parse_named(text: &str, subject: &str) -> Result<Self, RuleViolation> {
        let unknown = || {
            RuleViolation::bad_input(
                "scopes",
                format!(
                    "{subject} is not a scope in the catalogue: expected resource:read or \
                     resource:write (see permissionCatalog)"
                ),
            )
        };
        let (resource, access) = text.split_once(':').ok_or_else(unknown)?;
        let resource = CATALOGUE
            .iter()
            .find(|r| r.name == resource)
            .ok_or_else(unknown)?;
        let access = match access {
            "read" => Access::Read,
            "write" if resource.writable => Access::Write,
            "write" => {
                return Err(RuleViolation::bad_input(
                    "scopes",
                    format!(
                        "{subject} asks for {}:write, which does not exist: the resource is read only",
                        resource.name
                    ),
                ));
            }
            _ => return Err(unknown()),
        };
        Ok(Self::new_unchecked(resource.name, access))
    }

    pub fn resource(&self) -> &'static str {
        self.resource
    }

    pub fn access(&self) -> Access {
        self.access
    }

    /// Whether holding `self` allows what `required` asks for.
    pub fn allows(&self, required: Scope) -> bool {
        self.resource == required.resource
            && (self.access == required.access || self.access == Access::Write)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource, self.access.as_str())
    }
}

/// The scopes a key holds: either everything, now and in future (`*`, the full-access key only),
/// or an explicit set, kept normalised (a `read` implied by a `write` is dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeSet {
    All,
    Only(ScopeBits),
}

/// An explicit scope set as one bit per catalogue scope (`2 × resource index + write`): four
/// bytes instead of a tree, and a permission check is one mask. Cached keys carry one each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeBits(u32);

const _: () = assert!(
    CATALOGUE.len() * 2 <= u32::BITS as usize,
    "one bit per scope"
);

impl ScopeBits {
    fn bit(scope: Scope) -> u32 {
        let index = CATALOGUE
            .iter()
            .position(|r| r.name == scope.resource)
            .expect("a Scope is always in the catalogue");
        1 << (index * 2 + usize::from(scope.access == Access::Write))
    }

    fn contains(self, scope: Scope) -> bool {
        self.0 & Self::bit(scope) != 0
    }

    fn insert(&mut self, scope: Scope) {
        self.0 |= Self::bit(scope);
    }

    /// The scopes in order: by resource name, then read before write.
    fn scopes(self) -> Vec<Scope> {
        let mut scopes: Vec<Scope> = CATALOGUE
            .iter()
            .flat_map(|r| {
                [Access::Read, Access::Write].map(|access| Scope::new_unchecked(r.name, access))
            })
            .filter(|s| self.contains(*s))
            .collect();
        scopes.sort_unstable();
        scopes
    }
}

/// How the full-access key's scope set is written in storage and on the API.
pub const ALL_SCOPES: &str = "*";

impl ScopeSet {
    /// Scopes chosen by a caller for a scoped key: a non-empty list of catalogue scopes.
    pub fn from_requested<S: AsRef<str>>(scopes: &[S]) -> Result<Self, RuleViolation> {
        if scopes.is_empty() {
            return Err(RuleViolation::bad_input(
                "scopes",
                "at least one scope is required",
            ));
        }
        let parsed = scopes
            .iter()
            .enumerate()
            .map(|(i, s)| Scope::parse_named(s.as_ref(), &format!("scopes[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::normalised(parsed))
    }

    fn normalised(scopes: impl IntoIterator<Item = Scope>) -> Self {
        let mut all = ScopeBits::default();
        for scope in scopes {
            all.insert(scope);
        }
        let mut kept = ScopeBits::default();
        for scope in all.scopes() {
            let implied = scope.access == Access::Read
                && all.contains(Scope::new_unchecked(scope.resource, Access::Write));
            if !implied {
                kept.insert(scope);
            }
        }
        Self::Only(kept)
    }

    /// Reads the stored form written by [`ScopeSet::to_stored`].
    pub fn from_stored(text: &str) -> Result<Self, RuleViolation> {
        if text == ALL_SCOPES {
            return Ok(Self::All);
        }
        let parts: Vec<&str> = text.split(' ').filter(|s| !s.is_empty()).collect();
        Self::from_requested(&parts)
    }

    pub fn to_stored(&self) -> String {
        self.to_strings().join(" ")
    }

    pub fn to_strings(&self) -> Vec<String> {
        match self {
            Self::All => vec![ALL_SCOPES.to_owned()],
            Self::Only(bits) => bits.scopes().iter().map(Scope::to_string).collect(),
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self, Self::All)
    }

    pub fn allows(&self, required: Scope) -> bool {
        match self {
            Self::All => true,
            Self::Only(bits) => {
                bits.contains(required)
                    || bits.contains(Scope::new_unchecked(required.resource, Access::Write))
            }
        }
    }

    /// The first scope of `other` that `self` does not allow, if any: the no-escalation check.
    /// `*` is covered only by `*`.
    pub fn first_missing(&self, other: &ScopeSet) -> Option<Missing> {
        match (self, other) {
            (Self::All, _) => None,
            (Self::Only(_), Self::All) => Some(Missing::All),
            (Self::Only(_), Self::Only(theirs)) => theirs
                .scopes()
                .into_iter()
                .find(|s| !self.allows(*s))
                .map(Missing::Scope),
        }
    }
}

/// What a caller lacks to act on a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    All,
    Scope(Scope),
}

/// Named scope sets offered when creating a scoped key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopePreset {
    /// Every current `resource:write` (and read of read-only resources). Unlike the full-access
    /// key, a key made from this preset does not gain resources added later.
    FullAccess,
    ReadOnly,
    CustomersWrite,
    SubscriptionsWrite,
    CouponsWrite,
    ApiKeysReadWrite,
    EventQueueRead,
}

impl ScopePreset {
    pub fn scopes(self) -> ScopeSet {
        let one = |resource, access| ScopeSet::normalised([Scope::new_unchecked(resource, access)]);
        match self {
            Self::FullAccess => ScopeSet::normalised(CATALOGUE.iter().map(|r| {
                let access = if r.writable {
                    Access::Write
                } else {
                    Access::Read
                };
                Scope::new_unchecked(r.name, access)
            })),
            Self::ReadOnly => ScopeSet::normalised(
                CATALOGUE
                    .iter()
                    .map(|r| Scope::new_unchecked(r.name, Access::Read)),
            ),
            Self::CustomersWrite => one("customers", Access::Write),
            Self::SubscriptionsWrite => one("subscriptions", Access::Write),
            Self::CouponsWrite => one("coupons", Access::Write),
            Self::ApiKeysReadWrite => one("api_keys", Access::Write),
            Self::EventQueueRead => one("event_queue", Access::Read),
        }
    }
}

/// The fixed, immutable scopes of every publishable key.
pub fn publishable_scopes() -> ScopeSet {
    ScopeSet::normalised(
        ["customers", "subscriptions", "coupons"]
            .into_iter()
            .map(|r| Scope::new_unchecked(r, Access::Read)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn set(scopes: &[&str]) -> ScopeSet {
        ScopeSet::from_requested(scopes).unwrap()
    }

    #[test]
    fn scope_parsing_accepts_catalogue_scopes_only() {
        let cases: &[(&str, bool)] = &[
            ("customers:read", true),
            ("customers:write", true),
            ("event_queue:read", true),
            ("event_queue:write", false),
            ("customers:admin", false),
            ("widgets:read", false),
            ("customers", false),
            ("*", false),
            ("", false),
            ("Customers:read", false),
        ];
        for (text, ok) in cases {
            let parsed = Scope::parse(text);
            assert_eq!(parsed.is_ok(), *ok, "{text}");
            if let Err(e) = parsed {
                assert_eq!(e.code, ErrorCode::BadUserInput);
                assert_eq!(e.field, Some("scopes"));
            }
        }
    }

    #[test]
    fn an_unknown_scope_is_refused_without_repeating_it() {
        const PASTED: &str = "secret-looking-value-123";
        let wrong = [
            PASTED.to_owned(),
            format!("{PASTED}:read"),
            format!("customers:{PASTED}"),
        ];
        for text in &wrong {
            let alone = Scope::parse(text).unwrap_err();
            assert!(!alone.message.contains(PASTED), "{}", alone.message);
            assert!(
                alone.message.contains("permissionCatalog"),
                "{}",
                alone.message
            );
            let listed =
                ScopeSet::from_requested(&["customers:read", "coupons:read", text]).unwrap_err();
            assert_eq!(listed.code, ErrorCode::BadUserInput);
            assert_eq!(listed.field, Some("scopes"));
            assert!(!listed.message.contains(PASTED), "{}", listed.message);
            assert!(
                listed.message.starts_with("scopes[2] "),
                "{}",
                listed.message
            );
        }
        let read_only = ScopeSet::from_requested(&["event_queue:write"]).unwrap_err();
        assert!(
            read_only.message.starts_with("scopes[0] ") && read_only.message.contains("read only"),
            "{}",
            read_only.message
        );
    }

    #[test]
    fn write_implies_read_and_nothing_else() {
        let write = Scope::parse("customers:write").unwrap();
        assert!(write.allows(Scope::parse("customers:read").unwrap()));
        assert!(!write.allows(Scope::parse("coupons:read").unwrap()));
        assert!(!Scope::parse("customers:read").unwrap().allows(write));
    }

    #[test]
    fn requested_sets_are_normalised_and_never_empty() {
        assert_eq!(
            set(&[
                "customers:read",
                "customers:write",
                "coupons:read",
                "coupons:read"
            ])
            .to_strings(),
            vec!["coupons:read", "customers:write"]
        );
        let empty: &[&str] = &[];
        assert_eq!(
            ScopeSet::from_requested(empty).unwrap_err().code,
            ErrorCode::BadUserInput
        );
    }

    #[test]
    fn stored_form_round_trips() {
        for scopes in [ScopeSet::All, set(&["api_keys:write", "event_queue:read"])] {
            assert_eq!(ScopeSet::from_stored(&scopes.to_stored()).unwrap(), scopes);
        }
    }

    #[test]
    fn no_escalation_check_finds_the_missing_scope() {
        let caller = set(&["api_keys:write", "customers:read"]);
        assert_eq!(caller.first_missing(&set(&["customers:read"])), None);
        assert_eq!(caller.first_missing(&set(&["api_keys:read"])), None);
        assert_eq!(
            caller.first_missing(&set(&["customers:write"])),
            Some(Missing::Scope(Scope::parse("customers:write").unwrap()))
        );
        assert_eq!(caller.first_missing(&ScopeSet::All), Some(Missing::All));
        assert_eq!(ScopeSet::All.first_missing(&ScopeSet::All), None);
        assert_eq!(
            ScopePreset::FullAccess
                .scopes()
                .first_missing(&ScopeSet::All),
            Some(Missing::All)
        );
    }

    #[test]
    fn presets_match_the_catalogue() {
        assert_eq!(
            ScopePreset::FullAccess.scopes().to_strings(),
            vec![
                "api_keys:write",
                "coupons:write",
                "customers:write",
                "event_queue:read",
                "subscriptions:write"
            ]
        );
        assert_eq!(
            ScopePreset::ReadOnly.scopes().to_strings().len(),
            CATALOGUE.len()
        );
        assert!(
            ScopePreset::ApiKeysReadWrite
                .scopes()
                .allows(Scope::API_KEYS_READ)
        );
        assert_eq!(
            publishable_scopes().to_strings(),
            vec!["coupons:read", "customers:read", "subscriptions:read"]
        );
    }
}
