//! A schema extension that caps aliases, gives parse and validation errors their codes, and
//! tallies root fields so the transport can answer 403 when none was allowed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextResolve, NextValidation,
    ResolveInfo,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, ValidationResult, Value, Variables};
use keyplane_domain::ErrorCode;

#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_aliases: usize,
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

/// How many root fields of one request ran, and how many of them were refused `FORBIDDEN`.
/// The transport puts one in each request's data and reads it after execution.
#[derive(Debug, Default)]
pub struct RootFieldTally {
    resolved: AtomicUsize,
    forbidden: AtomicUsize,
}

impl RootFieldTally {
    /// True when at least one root field ran and every one was refused for a missing scope.
    pub fn all_forbidden(&self) -> bool {
        let resolved = self.resolved.load(Ordering::Relaxed);
        resolved > 0 && self.forbidden.load(Ordering::Relaxed) == resolved
    }
}

/// Gives `error` the code `code` unless it already has one.
pub fn set_code(error: &mut ServerError, code: ErrorCode) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code.as_str());
    }
}

fn with_code(mut error: ServerError, code: ErrorCode) -> ServerError {
    set_code(&mut error, code);
    error
}

fn has_code(error: &ServerError, code: ErrorCode) -> bool {
    error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .is_some_and(|v| *v == Value::from(code.as_str()))
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            // Each fragment definition is counted once, where it is defined.
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Aliases written in the document: in every operation and every fragment definition.
pub(crate) fn document_aliases(document: &ExecutableDocument) -> usize {
    let operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| count_aliases(&op.node.selection_set.node))
        .sum();
    let fragments: usize = document
        .fragments
        .values()
        .map(|f| count_aliases(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next
            .run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, ErrorCode::GraphqlParseFailed))?;
        let aliases = document_aliases(&document);
        if aliases > self.max_aliases {
            let error = ServerError::new(
                format!(
                    "the query has {aliases} aliases; at most {} are allowed",
                    self.max_aliases
                ),
                None,
            );
            return Err(with_code(error, ErrorCode::GraphqlValidationFailed));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| with_code(e, ErrorCode::GraphqlValidationFailed))
                .collect()
        })
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let is_root = info.path_node.parent.is_none();
        let result = next.run(ctx, info).await;
        if is_root && let Some(tally) = ctx.data_opt::<Arc<RootFieldTally>>() {
            tally.resolved.fetch_add(1, Ordering::Relaxed);
            if result
                .as_ref()
                .is_err_and(|e| has_code(e, ErrorCode::Forbidden))
            {
                tally.forbidden.fetch_add(1, Ordering::Relaxed);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aliases(query: &str) -> usize {
        document_aliases(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn aliases_are_counted_in_operations_fragments_and_nested_fields() {
        assert_eq!(aliases("{ viewer { apiKey { id } } }"), 0);
        assert_eq!(
            aliases("{ a: viewer { b: apiKey { id } } c: viewer { apiKey { id } } }"),
            3
        );
        assert_eq!(
            aliases("query { ...F ...F } fragment F on Query { x: viewer { y: account { id } } }"),
            2
        );
        assert_eq!(
            aliases("{ ... on Query { a: viewer { account { id } } } }"),
            1
        );
    }
}
