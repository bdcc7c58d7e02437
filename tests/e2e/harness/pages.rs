//! What every GraphQL connection ordered by id promises: newest first, pages that neither
//! overlap nor leave a gap, page sizes and cursors refused with their code, and a cursor taken
//! from someone else's listing showing nothing of theirs.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::Gql;

/// Checks a connection whose items are `expected` (their ids, newest first; three or more).
/// `ask` runs the listing with the variables `first` and `after`; `connection` finds the
/// connection in the answer's `data`. `foreign`, when given, is the id of an item of another
/// environment's (or user's) listing, made between two of `expected`: as a cursor it must
/// page through `expected` alone, as any id of that instant would.
pub async fn check_connection(
    ask: impl AsyncFn(Value) -> Gql,
    connection: impl Fn(&Value) -> &Value,
    expected: &[String],
    foreign: Option<&str>,
) {
    assert!(expected.len() >= 3, "enough items for two pages");
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = ask(json!({ "first": 2, "after": after })).await.data();
        let page = connection(&data);
        let edges = page["edges"].as_array().expect("edges").clone();
        assert!(!edges.is_empty() && edges.len() <= 2, "{page}");
        for edge in &edges {
            assert_eq!(edge["cursor"], edge["node"]["id"], "the cursor is the id");
            seen.push(edge["cursor"].as_str().unwrap().to_owned());
        }
        let info = &page["pageInfo"];
        assert_eq!(info["endCursor"], edges.last().unwrap()["cursor"], "{page}");
        if !info["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, expected, "every item once, newest first");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());

    for (variables, field) in [
        (json!({ "first": 0 }), "first"),
        (json!({ "first": 101 }), "first"),
        (json!({ "after": "not-a-cursor" }), "after"),
        (json!({ "after": "'; DROP TABLE users; --" }), "after"),
    ] {
        let refused = ask(variables.clone()).await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{variables}");
        assert_eq!(
            refused.first_error()["extensions"]["field"],
            field,
            "{variables}"
        );
    }

    if let Some(foreign) = foreign {
        let data = ask(json!({ "first": 100, "after": foreign })).await.data();
        let ids: Vec<String> = connection(&data)["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["cursor"].as_str().unwrap().to_owned())
            .collect();
        let older: Vec<String> = expected
            .iter()
            .filter(|id| id.as_str() < foreign)
            .cloned()
            .collect();
        assert!(
            !older.is_empty() && older.len() < expected.len(),
            "the foreign item was made between two of the listing's"
        );
        assert_eq!(ids, older, "only the listing's own items older than it");
    }
}
