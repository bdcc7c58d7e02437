//! IP address ranges: a key's allow-list (the addresses a key may be used from) and the
//! operator's trusted proxies. Both are lists of IPv4 and IPv6 CIDR ranges; a bare address is
//! the range of that one address.

use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use ipnet::IpNet;

use crate::error::RuleViolation;

/// The most ranges one key's allow-list may hold.
pub const MAX_ALLOWED_IPS: usize = 100;

/// A non-empty list of ranges, normalised (host bits cleared, IPv4-mapped IPv6 written as
/// IPv4), sorted and without repeats. Cheap to clone: keys are cached with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRanges(Arc<[IpNet]>);

impl IpRanges {
    /// Parses each entry as an address or a CIDR range. `field` names the input in errors.
    pub fn parse<S: AsRef<str>>(
        field: &'static str,
        entries: &[S],
        max: usize,
    ) -> Result<Self, RuleViolation> {
        if entries.is_empty() {
            return Err(RuleViolation::bad_input(
                field,
                "give at least one address or range (null allows any address)",
            ));
        }
        if entries.len() > max {
            return Err(RuleViolation::bad_input(
                field,
                format!("at most {max} addresses or ranges"),
            ));
        }
        let mut ranges = entries
            .iter()
            .map(|entry| {
                parse_range(entry.as_ref().trim()).ok_or_else(|| {
                    RuleViolation::bad_input(
                        field,
                        "each entry must be an IPv4 or IPv6 address or CIDR range, such as 203.0.113.0/24 or 2001:db8::/32",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        ranges.sort_unstable();
        ranges.dedup();
        Ok(Self(ranges.into()))
    }

    /// Ranges as they were stored (each already normalised when it was written).
    pub fn from_stored(entries: &[String]) -> Option<Self> {
        let ranges = entries
            .iter()
            .map(|entry| IpNet::from_str(entry).ok())
            .collect::<Option<Vec<_>>>()?;
        (!ranges.is_empty()).then(|| Self(ranges.into()))
    }

    /// Whether `address` is inside one of the ranges. An IPv4-mapped IPv6 address counts as
    /// its IPv4 address.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|range| range.contains(&address))
    }

    /// Whether every range of `self` lies inside one range of `outer`.
    pub fn is_within(&self, outer: &IpRanges) -> bool {
        self.0
            .iter()
            .all(|range| outer.0.iter().any(|bound| bound.contains(range)))
    }

    /// Each range in CIDR notation (`203.0.113.7/32`, `2001:db8::/32`).
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

fn parse_range(text: &str) -> Option<IpNet> {
    let range = match IpNet::from_str(text) {
        Ok(range) => range,
        Err(_) => IpNet::from(IpAddr::from_str(text).ok()?),
    };
    Some(canonical(range).trunc())
}

/// `::ffff:192.0.2.0/120` is `192.0.2.0/24`: requests from IPv4 clients arrive as IPv4 (or are
/// made canonical before the check), so a mapped range must be held as IPv4 to match them.
fn canonical(range: IpNet) -> IpNet {
    match range {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(range),
            None => range,
        },
        other => other,
    }
}

/// The client address of a request that came through proxies: the socket peer, unless the peer
/// is a trusted proxy, in which case `X-Forwarded-For` is read from the right, skipping trusted
/// proxies, and the first untrusted entry is the client. Entries left of it were written by the
/// client and prove nothing. With no trusted proxies the header is never read.
pub fn client_address<'h>(
    peer: Option<IpAddr>,
    forwarded_for: impl DoubleEndedIterator<Item = &'h str>,
    trusted: Option<&IpRanges>,
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let Some(trusted) = trusted else {
        return Some(peer);
    };
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let mut client = peer;
    for entry in forwarded_for.rev().flat_map(|value| value.rsplit(',')) {
        let Some(address) = parse_forwarded(entry.trim()) else {
            // A hop we cannot read: what is left of it cannot be attributed; the last proxy
            // we trust is the best we know.
            return Some(client);
        };
        client = address;
        if !trusted.contains(address) {
            return Some(address);
        }
    }
    Some(client)
}

/// An `X-Forwarded-For` entry: an address, possibly `[v6]:port` or `v4:port`.
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    if let Ok(address) = IpAddr::from_str(entry) {
        return Some(address.to_canonical());
    }
    if let Ok(socket) = std::net::SocketAddr::from_str(entry) {
        return Some(socket.ip().to_canonical());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn ranges(entries: &[&str]) -> IpRanges {
        IpRanges::parse("allowedIps", entries, MAX_ALLOWED_IPS).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn entries_are_normalised_sorted_and_deduplicated() {
        let list = ranges(&[
            "203.0.113.77/24",
            " 198.51.100.7 ",
            "2001:db8:1::5/32",
            "203.0.113.0/24",
            "::ffff:192.0.2.9/120",
            "2001:db8::1",
        ]);
        assert_eq!(
            list.to_strings(),
            [
                "192.0.2.0/24",
                "198.51.100.7/32",
                "203.0.113.0/24",
                "2001:db8::/32",
                "2001:db8::1/128",
            ]
        );
        assert_eq!(IpRanges::from_stored(&list.to_strings()), Some(list));
    }

    #[test]
    fn bad_entries_empty_and_long_lists_are_refused() {
        let too_many: Vec<String> = (0..=MAX_ALLOWED_IPS)
            .map(|i| format!("10.0.0.{i}"))
            .collect();
        let cases: Vec<Vec<String>> = vec![
            vec![],
            vec!["10.0.0.256".into()],
            vec!["10.0.0.0/33".into()],
            vec!["2001:db8::/129".into()],
            vec!["example.com".into()],
            vec!["".into()],
            too_many,
        ];
        for entries in cases {
            let err = IpRanges::parse("allowedIps", &entries, MAX_ALLOWED_IPS).unwrap_err();
            assert_eq!(
                (err.code, err.field),
                (ErrorCode::BadUserInput, Some("allowedIps")),
                "{entries:?}"
            );
        }
    }

    #[test]
    fn containment_covers_ipv4_ipv6_and_mapped_addresses() {
        let list = ranges(&["203.0.113.0/24", "2001:db8:abcd::/48"]);
        assert!(list.contains(ip("203.0.113.200")));
        assert!(list.contains(ip("::ffff:203.0.113.5")));
        assert!(!list.contains(ip("203.0.114.1")));
        assert!(list.contains(ip("2001:db8:abcd:12::1")));
        assert!(!list.contains(ip("2001:db8:abce::1")));
        let mapped = ranges(&["::ffff:198.51.100.0/120"]);
        assert!(mapped.contains(ip("198.51.100.3")));
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies_right_to_left() {
        let proxies = ranges(&["10.0.0.0/8", "fd00::/8"]);
        let proxy = Some(ip("10.0.0.2"));
        // (peer, X-Forwarded-For headers, trusted proxies, the client found)
        type Case<'a> = (
            Option<IpAddr>,
            &'a [&'a str],
            Option<&'a IpRanges>,
            Option<&'a str>,
        );
        let cases: &[Case] = &[
            // No trusted proxies: the header is ignored, spoofed or not.
            (
                Some(ip("198.51.100.1")),
                &["203.0.113.9"],
                None,
                Some("198.51.100.1"),
            ),
            // A peer that is not a trusted proxy cannot vouch for anyone.
            (
                Some(ip("198.51.100.1")),
                &["203.0.113.9"],
                Some(&proxies),
                Some("198.51.100.1"),
            ),
            // The right-most untrusted entry is the client; what the client wrote is left of it.
            (
                proxy,
                &["6.6.6.6, 203.0.113.9"],
                Some(&proxies),
                Some("203.0.113.9"),
            ),
            (
                proxy,
                &["6.6.6.6", "203.0.113.9, 10.1.1.1"],
                Some(&proxies),
                Some("203.0.113.9"),
            ),
            (
                proxy,
                &["[2001:db8::7]:443"],
                Some(&proxies),
                Some("2001:db8::7"),
            ),
            (
                proxy,
                &["203.0.113.9:8080"],
                Some(&proxies),
                Some("203.0.113.9"),
            ),
            // Only proxies: the left-most proxy is the closest to the client we know.
            (proxy, &["10.9.9.9"], Some(&proxies), Some("10.9.9.9")),
            (proxy, &[], Some(&proxies), Some("10.0.0.2")),
            // An unreadable hop stops the walk at the last trusted proxy.
            (
                proxy,
                &["203.0.113.9, garbage"],
                Some(&proxies),
                Some("10.0.0.2"),
            ),
            (None, &["203.0.113.9"], Some(&proxies), None),
        ];
        for (peer, header, trusted, expected) in cases {
            assert_eq!(
                client_address(*peer, header.iter().copied(), *trusted),
                expected.map(ip),
                "{peer:?} {header:?}"
            );
        }
    }
}
