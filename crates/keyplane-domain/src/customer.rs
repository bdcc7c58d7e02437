//! Customer ids: the platform's own identifiers of its customers, used to restrict scoped keys
//! and to bind publishable-key requests to one customer.

use crate::error::RuleViolation;

pub const MAX_CUSTOMER_ID_CHARS: usize = 255;
/// Most customers one key may be restricted to.
pub const MAX_CUSTOMERS_PER_KEY: usize = 100;

/// A customer id: 1 to 255 printable ASCII characters.
pub fn parse_customer_id(field: &'static str, id: &str) -> Result<String, RuleViolation> {
    if id.is_empty() || id.len() > MAX_CUSTOMER_ID_CHARS {
        return Err(RuleViolation::bad_input(
            field,
            format!("a customer id must be 1 to {MAX_CUSTOMER_ID_CHARS} characters"),
        ));
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RuleViolation::bad_input(
            field,
            "a customer id must be printable ASCII without spaces",
        ));
    }
    Ok(id.to_owned())
}

/// The customers a key is restricted to: 1 to 100 valid ids, kept sorted without duplicates.
pub fn parse_customer_ids(ids: &[String]) -> Result<Vec<String>, RuleViolation> {
    if ids.is_empty() || ids.len() > MAX_CUSTOMERS_PER_KEY {
        return Err(RuleViolation::bad_input(
            "customerIds",
            format!(
                "give 1 to {MAX_CUSTOMERS_PER_KEY} customer ids, or none to not restrict the key"
            ),
        ));
    }
    let mut parsed = ids
        .iter()
        .map(|id| parse_customer_id("customerIds", id))
        .collect::<Result<Vec<_>, _>>()?;
    parsed.sort();
    parsed.dedup();
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids_are_bounded_printable_ascii() {
        let long = "c".repeat(MAX_CUSTOMER_ID_CHARS + 1);
        let cases: &[(&str, bool)] = &[
            ("cus_123", true),
            ("acme-corp.eu", true),
            ("", false),
            ("with space", false),
            ("tab\t", false),
            ("é", false),
            (&long, false),
        ];
        for (id, ok) in cases {
            assert_eq!(parse_customer_id("customerId", id).is_ok(), *ok, "{id:?}");
        }
    }

    #[test]
    fn restriction_lists_are_sorted_deduplicated_and_bounded() {
        let ids = vec!["b".to_owned(), "a".to_owned(), "b".to_owned()];
        assert_eq!(parse_customer_ids(&ids).unwrap(), vec!["a", "b"]);
        assert!(parse_customer_ids(&[]).is_err());
        let many: Vec<String> = (0..=MAX_CUSTOMERS_PER_KEY)
            .map(|i| format!("c{i}"))
            .collect();
        assert!(parse_customer_ids(&many).is_err());
    }
}
