//! The GraphQL schema: roots, object types, and the limits every request runs under.

mod activity;
mod audit;
mod connection;
mod context;
pub(crate) mod enums;
mod environment;
mod events;
mod key_policies;
mod limits;
mod mutation;
pub(crate) mod parse_cache;
pub mod people;
mod query;
mod quota;
pub mod redaction;
mod related;
mod types;
mod usage;
mod verification;
mod webhooks;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};
use keyplane_service::Services;

pub use context::HttpSettings;
pub(crate) use environment::RateLimitModeValue;
pub use limits::{RequestObservation, selected_root_fields, set_code};
pub(crate) use quota::QuotaRefillValue;
pub use related::RelatedKeys;
pub(crate) use usage::UsageGranularity;

/// The query root: the key queries, the people queries and webhooks, as one `Query` type.
#[derive(MergedObject, Debug, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    query::KeyQueries,
    people::PeopleQueries,
    webhooks::WebhookQueries,
);

/// The mutation root: the key lifecycle and settings, key policies, the people mutations,
/// webhooks, and event-queue credentials and leak reports.
#[derive(MergedObject, Debug, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    mutation::KeyMutations,
    key_policies::KeyPolicyMutations,
    people::PeopleMutations,
    webhooks::WebhookMutations,
    events::EventMutations,
);

pub type KeyplaneSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Deepest selection nesting accepted. GraphiQL's introspection query needs 13.
pub const MAX_DEPTH: usize = 16;
/// Largest complexity accepted; connection fields count their page size times their items.
pub const MAX_COMPLEXITY: usize = 5_000;
/// Most aliased fields one document may carry.
pub const MAX_ALIASES: usize = 30;

fn builder(
    parse_cache: Arc<parse_cache::ParseCache>,
) -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_directives(10)
    .disable_suggestions()
    .extension(limits::QueryLimits {
        max_aliases: MAX_ALIASES,
        parse_cache,
    })
}

pub fn build_schema(services: Services, parse_cache_capacity: usize) -> KeyplaneSchema {
    let parse_cache = Arc::new(parse_cache::ParseCache::new(parse_cache_capacity));
    build_schema_with(services, parse_cache)
}

/// The schema over a parse cache the caller keeps too (the router reads its size for
/// `/metrics`).
pub(crate) fn build_schema_with(
    services: Services,
    parse_cache: Arc<parse_cache::ParseCache>,
) -> KeyplaneSchema {
    builder(parse_cache).data(services).finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(Arc::default()).finish().sdl()
}

/// The names of the `Query` and `Mutation` root fields, introspection's included: the fixed
/// set the metrics' `operation` label is drawn from.
pub fn root_field_names(schema: &KeyplaneSchema) -> Vec<String> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let document =
        async_graphql::parser::parse_schema(schema.sdl()).expect("the served schema parses");
    let mut names: Vec<String> = ["__schema", "__type", "__typename"]
        .map(str::to_owned)
        .into();
    for definition in document.definitions {
        if let TypeSystemDefinition::Type(ty) = definition
            && matches!(ty.node.name.node.as_str(), "Query" | "Mutation")
            && let TypeKind::Object(object) = ty.node.kind
        {
            names.extend(
                object
                    .fields
                    .into_iter()
                    .map(|f| f.node.name.node.to_string()),
            );
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_field_names_are_the_query_and_mutation_fields() {
        let names = root_field_names(&builder(Arc::default()).finish());
        for field in [
            "viewer",
            "apiKeys",
            "verifyApiKey",
            "createApiKey",
            "changePassword",
        ] {
            assert!(names.iter().any(|n| n == field), "{field} in {names:?}");
        }
        for not_root in ["ApiKey", "secret", "edges", "id"] {
            assert!(!names.iter().any(|n| n == not_root), "{not_root}");
        }
    }
}
