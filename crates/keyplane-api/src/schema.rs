//! The GraphQL schema: roots, object types, and the limits every request runs under.

mod activity;
mod audit;
mod connection;
mod context;
mod enums;
mod environment;
mod events;
mod key_policies;
mod limits;
mod mutation;
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
pub use limits::{RequestObservation, set_code};
pub use related::RelatedKeys;

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
    parse_cache_capacity: usize,
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
        parse_cache: Arc::new(limits::ParseCache::new(parse_cache_capacity)),
    })
}

pub fn build_schema(services: Services, parse_cache_capacity: usize) -> KeyplaneSchema {
    builder(parse_cache_capacity).data(services).finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(0).finish().sdl()
}
