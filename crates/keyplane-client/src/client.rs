//! `Client`: one Keyplane server, one credential, and the one path every call takes: the
//! request built with its credential and `Idempotency-Key`, attempted under the retry policy,
//! and the answer read (bounded) into a value or a coded error.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::credentials::{Credentials, IdempotencyKey};
use crate::error::{self, Error};
use crate::retry::{self, Failure, RetryPolicy, Safety};

/// The most of an answer this client reads: far above any page or bulk answer Keyplane gives,
/// and a bound on what a broken or hostile server can make it hold.
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// A client of one Keyplane server. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    shared: Arc<Shared>,
    /// Set by [`Client::with_idempotency_key`]: the key of this clone's POSTs.
    idempotency_key: Option<IdempotencyKey>,
}

#[derive(Debug)]
struct Shared {
    http: reqwest::Client,
    base: Url,
    credentials: Option<Credentials>,
    headers: HeaderMap,
    retry: RetryPolicy,
}

/// How a [`Client`] is made: the server's URL, the credential, and optionally the retry
/// policy and timeouts.
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
}

impl ClientBuilder {
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The longest one attempt may take, answer included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest a connection may take to open (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        let base = Url::parse(&self.base_url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .filter(|url| url.query().is_none() && url.fragment().is_none())
            .filter(|url| url.username().is_empty() && url.password().is_none())
            .ok_or_else(|| {
                Error::InvalidInput(
                    "the Keyplane URL must be http:// or https:// with a host, and nothing after its path"
                        .into(),
                )
            })?;
        let headers = match &self.credentials {
            Some(credentials) => credentials.headers()?,
            None => HeaderMap::new(),
        };
        let http = reqwest::Client::builder()
            // A redirect would carry X-API-Key to wherever it points (reqwest strips only the
            // standard credential headers on a cross-origin redirect): none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("keyplane-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::Transport)?;
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                base,
                credentials: self.credentials,
                headers,
                retry: self.retry,
            }),
            idempotency_key: None,
        })
    }
}

/// One request of a call, as every typed method describes it.
pub(crate) struct Call<'a> {
    pub method: Method,
    pub path: &'a [&'a str],
    pub query: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Sends an `Idempotency-Key` (every POST of a resource under `/api/v1`).
    pub idempotent: bool,
    /// Sends no credential (`/auth/login`).
    pub anonymous: bool,
}

impl<'a> Call<'a> {
    pub fn get(path: &'a [&'a str]) -> Self {
        Self {
            method: Method::GET,
            path,
            query: Vec::new(),
            body: None,
            idempotent: false,
            anonymous: false,
        }
    }

    /// A POST that changes something: it carries an `Idempotency-Key`.
    pub fn post(path: &'a [&'a str]) -> Self {
        Self {
            method: Method::POST,
            idempotent: true,
            ..Self::get(path)
        }
    }

    pub fn patch(path: &'a [&'a str]) -> Self {
        Self {
            method: Method::PATCH,
            ..Self::get(path)
        }
    }

    pub fn json(mut self, body: &impl Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|_| {
            Error::InvalidInput("the request body cannot be written as JSON".into())
        })?;
        self.body = Some(bytes);
        Ok(self)
    }

    pub fn query(mut self, pairs: Vec<(String, String)>) -> Self {
        self.query = pairs;
        self
    }

    /// A POST that Keyplane does not claim by `Idempotency-Key` and that counts each time it
    /// runs (a verification, a login): retried only when it surely did not run.
    pub fn counted(mut self) -> Self {
        self.idempotent = false;
        self
    }

    /// Sent without the client's credential.
    pub fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self
    }

    fn safety(&self) -> Safety {
        if self.method == Method::POST && !self.idempotent {
            Safety::Counted
        } else {
            Safety::Replayable
        }
    }
}

/// A successful answer.
pub(crate) struct Answer {
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|err| error::decode_error(&err))
    }
}

/// A path segment taken from the caller (an id). Keyplane's ids are UUIDs; anything that could
/// change which route the request reaches or how it is read (`.`, `..`, empty text, `/`, `\`,
/// `%`, `?`, `#`, control characters) is refused before anything is sent, rather than trusted
/// to percent-encoding and every proxy on the way.
pub(crate) fn segment(id: &str) -> Result<&str, Error> {
    let odd = |c: char| matches!(c, '/' | '\\' | '%' | '?' | '#') || c.is_control();
    if id.is_empty() || id == "." || id == ".." || id.chars().any(odd) {
        return Err(Error::InvalidInput(
            "an id cannot be empty, . or .., nor hold /, \\, %, ?, # or control characters".into(),
        ));
    }
    Ok(id)
}

impl Client {
    /// A client of the server at `base_url` (`https://keyplane.example.com`) acting with
    /// `credentials`, under the default retry policy.
    pub fn new(base_url: &str, credentials: Credentials) -> Result<Self, Error> {
        Self::builder(base_url, Some(credentials)).build()
    }

    /// `credentials` may be `None` for a client that only signs in (`login`).
    pub fn builder(base_url: &str, credentials: Option<Credentials>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            credentials,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// This client, with `key` as the `Idempotency-Key` of its POSTs instead of one generated
    /// per call. Meant for one logical call (a pipeline step run again after a crash): a
    /// second, different POST under the same key is refused with `IDEMPOTENCY_CONFLICT`.
    pub fn with_idempotency_key(&self, key: IdempotencyKey) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            idempotency_key: Some(key),
        }
    }

    /// The `Idempotency-Key` set by [`Client::with_idempotency_key`], if any.
    pub fn idempotency_key(&self) -> Option<&IdempotencyKey> {
        self.idempotency_key.as_ref()
    }

    pub fn base_url(&self) -> &Url {
        &self.shared.base
    }

    pub fn credentials(&self) -> Option<&Credentials> {
        self.shared.credentials.as_ref()
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.shared.retry
    }

    fn url(&self, call: &Call<'_>) -> Result<Url, Error> {
        let mut url = self.shared.base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::InvalidInput("the Keyplane URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(call.path);
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        Ok(url)
    }

    /// Sends `call` under the retry policy: every attempt carries the same `Idempotency-Key`.
    pub(crate) async fn send(&self, call: Call<'_>) -> Result<Answer, Error> {
        let url = self.url(&call)?;
        let safety = call.safety();
        let idempotency_key = call.idempotent.then(|| {
            self.idempotency_key
                .clone()
                .unwrap_or_else(IdempotencyKey::generate)
        });
        let policy = self.shared.retry;
        let mut done = 0;
        loop {
            done += 1;
            let mut request = self
                .shared
                .http
                .request(call.method.clone(), url.clone())
                .header(header::ACCEPT, "application/json");
            if !call.anonymous {
                request = request.headers(self.shared.headers.clone());
            }
            if let Some(key) = &idempotency_key {
                request = request.header("idempotency-key", key.as_str());
            }
            if let Some(body) = &call.body {
                request = request
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let err = match attempt(request).await {
                Ok(answer) => return Ok(answer),
                Err(err) => err,
            };
            let failure = match &err {
                Error::Api(refused) => Failure::Refused {
                    status: refused.status,
                    code: &refused.code,
                    retry_after: refused.retry_after,
                },
                Error::Transport(e) if e.is_connect() => Failure::Connect,
                Error::Transport(_) => Failure::Lost,
                Error::Decode(_) | Error::SecretKept(_) | Error::InvalidInput(_) => {
                    return Err(err);
                }
            };
            let Some(wait) = policy.wait(done, failure, safety) else {
                return Err(err);
            };
            tracing::debug!(
                method = %call.method,
                path = url.path(),
                attempt = done,
                wait_ms = wait.as_millis() as u64,
                "retrying a Keyplane call"
            );
            tokio::time::sleep(wait).await;
        }
    }

    pub(crate) async fn json<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, Error> {
        self.send(call).await?.json()
    }

    /// Like [`Client::json`], for an answer holding a new secret: the secret is read first and
    /// on its own, so an answer whose other fields this client cannot decode (a server newer
    /// than it) still hands the secret back, in [`Error::SecretKept`], never drops it.
    pub(crate) async fn json_with_secret<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<T, Error> {
        let answer = self.send(call).await?;
        answer.json().map_err(|err| {
            #[derive(serde::Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Lenient {
                secret: crate::Secret,
                #[serde(default)]
                api_key: Option<LenientKey>,
            }
            #[derive(serde::Deserialize)]
            struct LenientKey {
                id: Option<String>,
            }
            match serde_json::from_slice::<Lenient>(&answer.body) {
                Ok(lenient) => Error::SecretKept(Box::new(error::SecretKept {
                    secret: lenient.secret,
                    key_id: lenient.api_key.and_then(|k| k.id),
                    decode: err.to_string(),
                })),
                Err(_) => err,
            }
        })
    }
}

/// One attempt: the answer, or Keyplane's refusal as `Error::Api`, or the transport's failure.
async fn attempt(request: reqwest::RequestBuilder) -> Result<Answer, Error> {
    let response = request.send().await.map_err(Error::Transport)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = read_bounded(response).await?;
    if status.is_success() {
        return Ok(Answer { body });
    }
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let retry_after = retry::retry_after(&headers);
    if status.is_redirection() {
        return Err(Error::Api(Box::new(error::ApiError {
            status,
            code: crate::error::ErrorCode::BadRequest,
            message: "Keyplane answered with a redirect, which this client does not follow: check the URL".into(),
            field: None,
            required_scope: None,
            reason: None,
            request_id,
            retry_after: None,
        })));
    }
    Err(Error::Api(Box::new(error::refusal(
        status,
        &body,
        request_id,
        retry_after,
    ))))
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Error::Transport)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(Error::Decode(format!(
                "the answer is larger than {} MiB",
                MAX_ANSWER_BYTES / (1024 * 1024)
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_change_the_route_are_refused_before_sending() {
        for id in [
            "",
            ".",
            "..",
            "a/b",
            "../environment",
            "a\\b",
            "%2e%2e",
            "a?b",
            "a#b",
            "a\nb",
            "a\u{7f}",
        ] {
            assert!(segment(id).is_err(), "{id:?}");
        }
        assert_eq!(
            segment("01890a5d-ac96-774b-bcce-b302099a8057").unwrap(),
            "01890a5d-ac96-774b-bcce-b302099a8057"
        );
    }
}
