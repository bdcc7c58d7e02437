//! The GraphQL schema: roots, object types, and the limits every request runs under.

mod activity;
mod audit;
mod connection;
mod context;
mod enums;
mod environment;
mod limits;
mod mutation;
mod query;
pub mod redaction;
mod related;
mod types;
mod usage;
mod verification;

use std::sync::Arc;

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};

pub use context::{ApiSettings, Background, Services};
pub use limits::{RequestObservation, set_code};
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use related::RelatedKeys;

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
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_directives(10)
        .disable_suggestions()
        .extension(limits::QueryLimits {
            max_aliases: MAX_ALIASES,
            parse_cache: Arc::new(limits::ParseCache::new(parse_cache_capacity)),
        })
}

pub fn build_schema(services: Services) -> KeyplaneSchema {
    builder(services.settings.parse_cache_capacity)
        .data(services)
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(0).finish().sdl()
}
