//! Keeps a request's own text out of the errors it is answered with. A query may carry a key
//! secret in an argument or a variable, and an error that echoed it would put the secret in the
//! response and in whatever logs responses. Parse errors are rewritten to a position and what
//! was expected; other errors raised by the GraphQL engine lose every literal value the request
//! carried.

use std::collections::BTreeSet;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Pos, ServerError, Variables};
use async_graphql_value::{ConstValue, Value};

/// Stands where a literal of the request was.
const REDACTED: &str = "…";

/// Literals shorter than this are left alone: they cannot hold a secret, and blanking them
/// would blank ordinary words of the message.
const MIN_REDACTED_LEN: usize = 3;

/// The message of a syntax error: where it is and what the grammar expected there, never the
/// source line the parser would quote.
pub fn syntax_error_message(parser_message: &str, at: Option<Pos>) -> String {
    // The parser's message is a source excerpt with a caret, ending in `= expected …`. Only
    // that last part names grammar rules instead of source text; a message of any other shape
    // (an invalid number, a duplicated operation) is one of the parser's fixed sentences.
    let expected = if parser_message.contains('\n') {
        parser_message
            .lines()
            .rev()
            .find_map(|line| line.trim_start().strip_prefix("= "))
            .unwrap_or("unexpected input")
    } else {
        parser_message
    };
    match at {
        Some(pos) => format!(
            "syntax error at line {}, column {}: {expected}",
            pos.line, pos.column
        ),
        None => format!("syntax error: {expected}"),
    }
}

/// A syntax error from the parser as a client may see it.
pub fn syntax_error(err: &async_graphql::parser::Error) -> ServerError {
    let at = err.positions().next();
    let message = match err {
        async_graphql::parser::Error::Syntax { message, .. } => syntax_error_message(message, at),
        other => other.to_string(),
    };
    ServerError::new(message, at)
}

/// Every literal value a request carries: in its document (arguments, directives, variable
/// defaults) and in its variables.
#[derive(Debug, Default)]
pub struct RequestLiterals(BTreeSet<String>);

impl RequestLiterals {
    pub fn of(
        document: Option<&ExecutableDocument>,
        variables: &Variables,
        operation_name: Option<&str>,
    ) -> Self {
        let mut literals = Self::default();
        if let Some(name) = operation_name {
            literals.add_text(name);
        }
        if let Some(document) = document {
            for (_, operation) in document.operations.iter() {
                for definition in &operation.node.variable_definitions {
                    if let Some(default) = &definition.node.default_value {
                        literals.add_const(&default.node);
                    }
                }
                literals.add_selections(&operation.node.selection_set.node);
            }
            for fragment in document.fragments.values() {
                literals.add_selections(&fragment.node.selection_set.node);
            }
        }
        for value in variables.values() {
            literals.add_const(value);
        }
        literals
    }

    /// Blanks every literal of the request in `message`, longest first so that a literal
    /// containing another is blanked whole.
    pub fn redact(&self, message: &str) -> String {
        let mut literals: Vec<&String> = self.0.iter().collect();
        literals.sort_by_key(|l| std::cmp::Reverse(l.len()));
        let mut message = message.to_owned();
        for literal in literals {
            if message.contains(literal.as_str()) {
                message = message.replace(literal.as_str(), REDACTED);
            }
        }
        message
    }

    fn add_text(&mut self, text: &str) {
        if text.chars().count() >= MIN_REDACTED_LEN {
            self.0.insert(text.to_owned());
        }
    }

    fn add_name(&mut self, name: &Name) {
        self.add_text(name.as_str());
    }

    fn add_selections(&mut self, set: &SelectionSet) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    for (_, value) in &field.node.arguments {
                        self.add_value(&value.node);
                    }
                    for directive in &field.node.directives {
                        for (_, value) in &directive.node.arguments {
                            self.add_value(&value.node);
                        }
                    }
                    self.add_selections(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    self.add_selections(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }

    fn add_value(&mut self, value: &Value) {
        match value {
            Value::String(text) => self.add_text(text),
            Value::Enum(name) => self.add_name(name),
            Value::Number(number) => self.add_text(&number.to_string()),
            Value::List(items) => items.iter().for_each(|v| self.add_value(v)),
            Value::Object(fields) => fields.values().for_each(|v| self.add_value(v)),
            Value::Variable(_) | Value::Null | Value::Boolean(_) | Value::Binary(_) => {}
        }
    }

    fn add_const(&mut self, value: &ConstValue) {
        match value {
            ConstValue::String(text) => self.add_text(text),
            ConstValue::Enum(name) => self.add_name(name),
            ConstValue::Number(number) => self.add_text(&number.to_string()),
            ConstValue::List(items) => items.iter().for_each(|v| self.add_const(v)),
            ConstValue::Object(fields) => fields.values().for_each(|v| self.add_const(v)),
            ConstValue::Null | ConstValue::Boolean(_) | ConstValue::Binary(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_the_position_and_expectation_not_the_source() {
        let query =
            "{ verifyApiKey(input: {key: \"server-secret-value\" permission: }) { valid } }";
        let err = async_graphql::parser::parse_query(query).unwrap_err();
        let message = syntax_error(&err).message;
        assert!(
            message.starts_with("syntax error at line 1, column "),
            "{message}"
        );
        assert!(!message.contains("server-secret-value"), "{message}");
        assert!(!message.contains("verifyApiKey"), "{message}");
    }

    #[test]
    fn every_literal_of_the_request_is_redacted() {
        let document = async_graphql::parser::parse_query(
            "query($v: String = \"default-secret\") { a(x: \"arg-secret\", y: [{z: BAD_ENUM}], n: 12345) @include(if: true) { ...F } }
             fragment F on Q { b(k: \"fragment-secret\") }",
        )
        .unwrap();
        let variables =
            Variables::from_json(serde_json::json!({ "input": { "key": "variable-secret" } }));
        let literals = RequestLiterals::of(Some(&document), &variables, Some("OpName"));
        let message = "x default-secret arg-secret BAD_ENUM 12345 fragment-secret variable-secret OpName \"ab\"";
        assert_eq!(literals.redact(message), "x … … … … … … … \"ab\"");
    }
}
