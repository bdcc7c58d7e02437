//! Which addresses a webhook may not be sent to: anything that is not a public internet host.
//!
//! IPv4 is refused by block (private, loopback, link-local, shared, reserved, documentation and
//! the like). IPv6 is public only inside global unicast (`2000::/3`, where every address the
//! registries hand out lies), less the special blocks in it; an IPv6 address that carries an
//! IPv4 address which a router or NAT64 gateway may send on (IPv4-mapped, NAT64's well-known
//! prefix, 6to4) is judged by the IPv4 address it carries, so `[64:ff9b::7f00:1]` is loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `address` is private, loopback, link-local or otherwise not a public internet
/// host, where a webhook must not go unless the operator allows it.
pub fn is_private_destination(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_multicast()
        || v4.is_documentation()
        // 0.0.0.0/8, "this network".
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT.
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24, IETF protocol assignments.
        || (a == 192 && b == 0 && c == 0)
        // 192.88.99.0/24, the retired 6to4 relay anycast.
        || (a == 192 && b == 88 && c == 99)
        // 198.18.0.0/15, benchmarking.
        || (a == 198 && (18..20).contains(&b))
        // 240.0.0.0/4, reserved, and the broadcast address in it.
        || a >= 240
}

fn is_private_v6(v6: Ipv6Addr) -> bool {
    if let Some(v4) = carried_ipv4(v6) {
        return is_private_v4(v4);
    }
    let [first, second, ..] = v6.segments();
    // Outside 2000::/3: the unspecified and loopback addresses, IPv4-compatible `::a.b.c.d`
    // (deprecated, so refused whatever it holds), NAT64's local-use 64:ff9b:1::/48, discard
    // 100::/64, unique local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast.
    let global_unicast = (first & 0xe000) == 0x2000;
    !global_unicast
        // 2001::/23, IETF protocol assignments: Teredo, benchmarking, ORCHID.
        || (first == 0x2001 && second < 0x0200)
        // 2001:db8::/32 and 3fff::/20, documentation.
        || (first == 0x2001 && second == 0x0db8)
        || (first == 0x3fff && second < 0x1000)
}

/// The IPv4 address an IPv6 address hands on to IPv4: IPv4-mapped `::ffff:a.b.c.d`, NAT64's
/// well-known `64:ff9b::a.b.c.d` (the last 32 bits) and 6to4 `2002:AABB:CCDD::` (bits 16 to
/// 48).
fn carried_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let segments = v6.segments();
    let octets = v6.octets();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(
            octets[12], octets[13], octets[14], octets[15],
        ));
    }
    if segments[0] == 0x2002 {
        return Some(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_destinations_are_recognised() {
        let cases: &[(&str, bool)] = &[
            // IPv4 blocks.
            ("127.0.0.1", true),
            ("10.1.2.3", true),
            ("172.16.0.1", true),
            ("192.168.1.1", true),
            ("169.254.169.254", true),
            ("100.64.0.1", true),
            ("0.0.0.0", true),
            ("0.1.2.3", true),
            ("192.0.0.8", true),
            ("192.0.0.170", true),
            ("192.0.2.1", true),
            ("192.88.99.1", true),
            ("198.18.0.1", true),
            ("224.0.0.1", true),
            ("240.0.0.1", true),
            ("255.255.255.255", true),
            ("93.184.216.34", false),
            ("8.8.8.8", false),
            ("192.0.1.1", false),
            ("100.128.0.1", false),
            ("239.255.255.255", true),
            // IPv6 outside global unicast.
            ("::", true),
            ("::1", true),
            ("fe80::1", true),
            ("fd00::1", true),
            ("fc00::1", true),
            ("fec0::1", true),
            ("feff::1", true),
            ("ff02::1", true),
            ("100::1", true),
            // IPv4-compatible: refused whatever it holds.
            ("::127.0.0.1", true),
            ("::8.8.8.8", true),
            // IPv4-mapped, judged by what it carries.
            ("::ffff:127.0.0.1", true),
            ("::ffff:10.0.0.1", true),
            ("::ffff:8.8.8.8", false),
            // SIIT's IPv4-translated form carries nothing a router hands on: refused.
            ("::ffff:0:8.8.8.8", true),
            // NAT64 well-known prefix, judged by its last 32 bits.
            ("64:ff9b::7f00:1", true),
            ("64:ff9b::a9fe:a9fe", true),
            ("64:ff9b::10.0.0.1", true),
            ("64:ff9b::808:808", false),
            // NAT64 local-use: a local network by definition.
            ("64:ff9b:1::808:808", true),
            ("64:ff9b:1:ffff::1", true),
            // 6to4, judged by bits 16..48.
            ("2002:7f00:1::", true),
            ("2002:a00:1::1", true),
            ("2002:c0a8:101::1", true),
            ("2002:808:808::1", false),
            // Special blocks inside 2000::/3.
            ("2001::1", true),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", true),
            ("2001:2::1", true),
            ("2001:1ff::1", true),
            ("2001:db8::1", true),
            ("3fff::1", true),
            ("3fff:fff::1", true),
            // Public IPv6.
            ("2606:4700::1111", false),
            ("2001:4860:4860::8888", false),
            ("2001:200::1", false),
            ("3fff:1000::1", false),
            ("2a00:1450:4001::1", false),
        ];
        for (address, private) in cases {
            assert_eq!(
                is_private_destination(address.parse().unwrap()),
                *private,
                "{address}"
            );
        }
    }
}
