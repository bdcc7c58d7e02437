#![doc = include_str!("../README.md")]

mod error;
mod http;
mod metrics;
mod schema;

pub use error::ApiError;
pub use http::credentials::{API_KEY_HEADER, ENVIRONMENT_HEADER};
pub use http::rest::openapi_json;
pub use http::router;
pub use http::serve::{ServerLimits, serve};
pub use schema::people::{SECURE_SESSION_COOKIE, SESSION_COOKIE};
pub use schema::{
    HttpSettings, KeyplaneSchema, MAX_ALIASES, MAX_COMPLEXITY, MAX_DEPTH, RequestObservation,
    build_schema, sdl,
};
