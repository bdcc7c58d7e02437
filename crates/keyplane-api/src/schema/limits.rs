//! A schema extension that caps aliases, gives parse and validation errors their codes, and
//! tallies root fields so the transport can answer 403 when none was allowed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextResolve, NextValidation,
    ResolveInfo,
};
use async_graphql::parser::types::{
    ExecutableDocument, OperationType as GqlOperationType, Selection, SelectionSet,
};
use async_graphql::{ServerError, ServerResult, ValidationResult, Value, Variables};
use keyplane_domain::ErrorCode;
use keyplane_domain::activity::OperationType;

use super::parse_cache::ParseCache;
use super::redaction::syntax_error_message;

#[derive(Debug, Clone)]
pub struct QueryLimits {
    pub max_aliases: usize,
    pub parse_cache: Arc<ParseCache>,
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

/// What the transport learns about one request from its execution: the operation it asked for
/// (for the activity log), the root fields that ran (for the metrics), and how many ran and
/// were refused `FORBIDDEN` (for 403). The transport puts one in each request's data and reads
/// it afterwards.
#[derive(Debug, Default)]
pub struct RequestObservation {
    requested_operation: Option<String>,
    operation: Mutex<Option<SelectedOperation>>,
    /// The root fields that passed validation and ran: names from the schema, never the
    /// caller's (a document that does not validate runs none).
    ran: Mutex<Vec<String>>,
    resolved: AtomicUsize,
    forbidden: AtomicUsize,
}

impl RequestObservation {
    pub fn new(requested_operation: Option<String>) -> Self {
        Self {
            requested_operation,
            ..Self::default()
        }
    }

    /// The operation's name, type and root fields, once the document parsed.
    pub fn operation(&self) -> (Option<String>, Option<OperationType>, Vec<String>) {
        let operation = self.operation.lock().map(|o| o.clone()).unwrap_or_default();
        match operation {
            Some(op) => (op.name, Some(op.ty), op.root_fields),
            None => (self.requested_operation.clone(), None, Vec::new()),
        }
    }

    /// The schema's root fields that ran, each once, in the order they started.
    pub fn ran(&self) -> Vec<String> {
        self.ran.lock().map(|ran| ran.clone()).unwrap_or_default()
    }

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

/// The root field names of the operation a request selects, every fragment expanded (each
/// named fragment once, so a cycle in a document that will not validate cannot loop).
fn root_fields(document: &ExecutableDocument, set: &SelectionSet) -> Vec<String> {
    fn walk<'d>(
        document: &'d ExecutableDocument,
        set: &'d SelectionSet,
        seen: &mut Vec<&'d str>,
        fields: &mut Vec<String>,
    ) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if !fields.iter().any(|f| f == name) {
                        fields.push(name.to_owned());
                    }
                }
                Selection::InlineFragment(fragment) => {
                    walk(document, &fragment.node.selection_set.node, seen, fields);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if seen.contains(&name) {
                        continue;
                    }
                    seen.push(name);
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        walk(document, &fragment.node.selection_set.node, seen, fields);
                    }
                }
            }
        }
    }
    let mut fields = Vec::new();
    walk(document, set, &mut Vec::new(), &mut fields);
    fields
}

/// The root fields of the operation `operation_name` selects in `document` (schema names,
/// not aliases), for the transport's decisions before execution.
pub fn selected_root_fields(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Vec<String> {
    selected_operation(document, operation_name)
        .map(|op| op.root_fields)
        .unwrap_or_default()
}

/// The operation a request runs: its name (as written in the document), type and root fields.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SelectedOperation {
    name: Option<String>,
    ty: OperationType,
    root_fields: Vec<String>,
}

fn selected_operation(
    document: &ExecutableDocument,
    name: Option<&str>,
) -> Option<SelectedOperation> {
    document
        .operations
        .iter()
        .find(|(op_name, _)| match (name, op_name) {
            (Some(wanted), Some(op_name)) => wanted == op_name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        })
        .map(|(op_name, op)| SelectedOperation {
            name: op_name.map(|n| n.to_string()),
            ty: match op.node.ty {
                GqlOperationType::Query => OperationType::Query,
                GqlOperationType::Mutation => OperationType::Mutation,
                GqlOperationType::Subscription => OperationType::Subscription,
            },
            root_fields: root_fields(document, &op.node.selection_set.node),
        })
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
        let parsed = match self.parse_cache.get(query) {
            Some(parsed) => parsed,
            None => {
                let document = next.run(ctx, query, variables).await.map_err(|e| {
                    let at = e.locations.first().copied();
                    let message = syntax_error_message(&e.message, at);
                    with_code(ServerError::new(message, at), ErrorCode::GraphqlParseFailed)
                })?;
                let aliases = document_aliases(&document);
                let parsed = Arc::new((document, aliases));
                self.parse_cache.put(query, Arc::clone(&parsed));
                parsed
            }
        };
        let (document, aliases) = (&parsed.0, parsed.1);
        if let Some(observation) = ctx.data_opt::<Arc<RequestObservation>>()
            && let Ok(mut slot) = observation.operation.lock()
        {
            *slot = selected_operation(document, observation.requested_operation.as_deref());
        }
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
        Ok(document.clone())
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
        if is_root
            && let Some(observation) = ctx.data_opt::<Arc<RequestObservation>>()
            && let Ok(mut ran) = observation.ran.lock()
            && !ran.iter().any(|field| field == info.name)
        {
            // Only a validated document resolves, so `name` is one of the schema's fields.
            ran.push(info.name.to_owned());
        }
        let result = next.run(ctx, info).await;
        if is_root && let Some(tally) = ctx.data_opt::<Arc<RequestObservation>>() {
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
    fn the_selected_operation_names_its_type_and_root_fields() {
        let doc = async_graphql::parser::parse_query(
            "query A { viewer { account { id } } apiKeys { edges { cursor } } }
             mutation B { revokeApiKey(input: {id: \"x\"}) { id } ...F }
             fragment F on Mutation { rotateApiKey(input: {id: \"y\"}) { secret } }",
        )
        .unwrap();
        let a = selected_operation(&doc, Some("A")).unwrap();
        assert_eq!(a.name.as_deref(), Some("A"));
        assert_eq!(a.ty, OperationType::Query);
        assert_eq!(a.root_fields, ["viewer", "apiKeys"]);
        let b = selected_operation(&doc, Some("B")).unwrap();
        assert_eq!(b.ty, OperationType::Mutation);
        assert_eq!(b.root_fields, ["revokeApiKey", "rotateApiKey"]);
        assert_eq!(selected_operation(&doc, Some("C")), None);
    }

    #[test]
    fn root_fields_are_found_through_nested_and_cyclic_fragments() {
        let doc = async_graphql::parser::parse_query(
            "mutation { ...A }
             fragment A on Mutation { ... on Mutation { ...B } }
             fragment B on Mutation { x: revealApiKeySecret(input: {id: \"k\"}) { secret } ...A }",
        )
        .unwrap();
        assert_eq!(selected_root_fields(&doc, None), ["revealApiKeySecret"]);
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
