//! `POST /v1/leaks`: leak reports in the format of GitHub's secret-scanning partner
//! programme, authenticated by the operator's reporter token (`Authorization: Bearer …`).
//! The answer labels each reported string `true_positive` (a Keyplane key) or
//! `false_positive`, by the SHA-256 of the string as reported, and never says which key.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyplane_domain::ErrorCode;
use keyplane_domain::leak::LeakLocation;
use keyplane_service::leaks::{self, ReportedSecret};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::AppState;
use super::response::{Outcome, api_error_response, error_response, json_body, no_store};
use crate::error::ApiError;
use keyplane_domain::activity::OUTCOME_OK;
use std::borrow::Cow;

/// One reported match. Only `token` is required; unknown fields are ignored, since partners
/// add their own.
/// One secret a scanner found.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct ReportedToken {
    token: String,
    #[serde(rename = "type")]
    token_type: Option<String>,
    url: Option<String>,
    source: Option<String>,
}

/// What Keyplane made of one reported secret: `true_positive` when it is a key of this
/// server.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Label {
    token_hash: String,
    token_type: Option<String>,
    label: &'static str,
}

/// Reports secrets a scanning partner found in public: each that is a live key gets the
/// environment's leak policy. Also at `POST /v1/leaks`.
#[utoipa::path(
    post,
    path = "/api/v1/leaks",
    operation_id = "reportLeaks",
    tag = "Events",
    request_body = Vec<ReportedToken>,
    responses((status = 200, description = "One label per reported secret, in order.", body = Vec<Label>), super::rest::Refusals),
    security(("leakReporter" = []))
)]
pub(super) async fn report_leaks(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let reporter = match leaks::authenticate_reporter(&state.services, presented) {
        Ok(reporter) => reporter,
        Err(err) => {
            let err = ApiError::from(err);
            return api_error_response(&err);
        }
    };
    let body = match json_body(&headers, body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    // The serde error is not repeated: it can quote the body, and the body holds secrets.
    let Ok(reported) = serde_json::from_slice::<Vec<ReportedToken>>(&body) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "send a JSON array of {\"token\", \"type\", \"url\", \"source\"} objects",
        );
    };
    let secrets: Vec<ReportedSecret<'_>> = reported
        .iter()
        .map(|r| ReportedSecret {
            token: &r.token,
            location: LeakLocation::new(r.url.as_deref(), r.source.as_deref()),
        })
        .collect();
    match leaks::report(&state.services, &reporter, &secrets).await {
        Ok(matches) => {
            let labels: Vec<Label> = reported
                .iter()
                .zip(matches)
                .map(|(r, matched)| Label {
                    token_hash: hex_sha256(&r.token),
                    token_type: r.token_type.clone(),
                    label: if matched {
                        "true_positive"
                    } else {
                        "false_positive"
                    },
                })
                .collect();
            let mut response = Json(labels).into_response();
            no_store(&mut response);
            response
                .extensions_mut()
                .insert(Outcome(Cow::Borrowed(OUTCOME_OK)));
            response
        }
        Err(err) => {
            let err = ApiError::from(err);
            api_error_response(&err)
        }
    }
}

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
