//! `POST /v1/verify`: the verification of `verifyApiKey` over plain JSON.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyplane_domain::ErrorCode;
use keyplane_domain::activity::OUTCOME_OK;
use keyplane_domain::metadata::Metadata;
use keyplane_domain::verification::VerificationCode;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::admission::{Admission, Asker, admit};
use super::client::Client;
use super::response::{
    Outcome, Performed, api_error_response, error_response, json_body, no_store, rate_limit_headers,
};
use crate::error::ApiError;

use keyplane_service::verify::{Verified, VerifyRequest, verify};

/// The JSON body of `POST /v1/verify`: the same fields as `verifyApiKey`'s input.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = VerifyRequest)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct VerifyBody {
    key: String,
    permission: Option<String>,
    customer_id: Option<String>,
    customer_token: Option<String>,
    origin: Option<String>,
    ip: Option<String>,
    spend: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct VerifiedKey<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    key_type: &'static str,
    /// Written as the cached JSON text, never re-serialised from a parsed value.
    #[schema(value_type = Option<Object>)]
    metadata: Option<&'a serde_json::value::RawValue>,
    external_id: Option<&'a str>,
}

/// Borrows everything it shows: the answer is written straight from the cached key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = VerifyAnswer)]
#[serde(rename_all = "camelCase")]
pub(super) struct VerifyAnswer<'a> {
    valid: bool,
    code: &'static str,
    api_key: Option<VerifiedKey<'a>>,
    environment: Option<&'a str>,
    scopes: Vec<String>,
    customer_id: Option<&'a str>,
    rate_limit: Option<RateLimitBody>,
    quota: Option<QuotaBody>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct QuotaBody {
    limit: u64,
    remaining: u64,
    resets_at: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateLimitBody {
    limit: u32,
    remaining: u32,
    reset_seconds: u64,
    retry_after_seconds: Option<u64>,
}

/// Verifies a key: may it do that? `verifyApiKey` as plain JSON, for services that want the
/// lowest latency. Also at `POST /v1/verify`, with the GraphQL-shaped error body.
#[utoipa::path(
    post,
    path = "/api/v1/verify",
    operation_id = "verifyApiKey",
    tag = "Verification",
    request_body = VerifyBody,
    responses(
        (status = 200, description = "The verdict, valid or not, with its code.", body = VerifyAnswer),
        super::rest::Refusals
    ),
    security(("apiKey" = []))
)]
pub(super) async fn v1_verify(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (state, headers) = (&state, &headers);
    let body = match json_body(headers, body) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let Ok(input) = serde_json::from_slice::<VerifyBody>(&body) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "the body must be a JSON object with a \"key\" string and optional permission, customerId, customerToken, origin, ip, spend",
        );
    };
    let services = &state.services;
    let asker = Asker { client, headers };
    let (principal, decision) = match admit(state, asker, Admission::Change).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let request = VerifyRequest {
        key: &input.key,
        permission: input.permission.as_deref(),
        customer_id: input.customer_id.as_deref(),
        customer_token: input.customer_token.as_deref(),
        origin: input.origin.as_deref(),
        ip: input.ip.as_deref(),
        spend: input.spend,
    };
    let mut response = match verify(services, &principal, request).await {
        Ok(verified) => verify_answer(&principal, &verified),
        Err(err) => api_error_response(&ApiError(err)),
    };
    response.extensions_mut().insert(Performed {
        environment_id: Some(principal.environment.id.clone()),
        api_key_id: principal.key().map(|key| key.id.clone()),
        user_id: principal.user().map(|s| s.user.id.clone()),
        operation_name: Some("POST /v1/verify".to_owned()),
        operation_type: None,
        root_fields: vec![Cow::Borrowed("verifyApiKey")],
        ran: vec![Cow::Borrowed("verifyApiKey")],
    });
    if let Some(decision) = decision {
        rate_limit_headers(&mut response, decision);
    }
    response
}

pub(super) fn verify_answer(
    principal: &keyplane_service::Principal,
    verified: &Verified,
) -> Response {
    let key = verified.key.as_deref();
    let answer = VerifyAnswer {
        valid: verified.code == VerificationCode::Valid,
        code: verified.code.as_str(),
        environment: key.map(|_| principal.environment.slug.as_str()),
        scopes: key.map(|k| k.scopes.to_strings()).unwrap_or_default(),
        api_key: key.map(|k| VerifiedKey {
            id: &k.id,
            name: &k.name,
            key_type: k.key_type.as_str(),
            metadata: k.metadata.as_ref().map(Metadata::as_raw),
            external_id: k.external_id.as_deref(),
        }),
        customer_id: verified.customer_id.as_deref(),
        rate_limit: verified.rate.map(|d| RateLimitBody {
            limit: d.limit,
            remaining: d.remaining,
            reset_seconds: d.reset_seconds,
            retry_after_seconds: d.retry_after_seconds,
        }),
        quota: verified.quota.map(|q| QuotaBody {
            limit: q.limit,
            remaining: q.remaining,
            // The same text as GraphQL's DateTime.
            resets_at: q.resets_at.map(|at| at.to_rfc3339()),
        }),
    };
    // One buffer sized for a typical answer, rather than growing a writer in small steps.
    let mut body = Vec::with_capacity(384);
    if serde_json::to_writer(&mut body, &answer).is_err() {
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalServerError,
            "the answer could not be encoded",
        );
    }
    let mut response = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    no_store(&mut response);
    response
        .extensions_mut()
        .insert(Outcome(Cow::Borrowed(OUTCOME_OK)));
    response
}
