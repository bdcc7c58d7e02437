//! Spawns the real server (the builder `main` uses) on 127.0.0.1:0 over a fresh database, and
//! talks HTTP to it.
//!
//! Database: a fresh SQLite file by default, or a fresh PostgreSQL database (`database`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use keyplane::{Application, BootstrapOutput, ServerSettings, bootstrap, key_hasher, open_store};
use keyplane_api::HttpSettings;
use keyplane_domain::account::Plan;
use keyplane_domain::seal::DataKey;
use keyplane_service::{FlushIntervals, Retention, ServiceSettings, WebhookSettings};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod database;
mod gql;
mod metrics;
mod options;
mod pages;
mod people;
mod receiver;
pub mod redis;
mod replica;
pub use database::TestDatabase;
pub use gql::{Gql, nodes_of};
pub use metrics::metric_at;
pub use options::TestOptions;
pub use pages::check_connection;
pub use people::{PASSWORD, People, SignedIn, link_token};
pub use receiver::{Received, Receiver};
pub use replica::Replica;

pub const TEST_DATABASE_ENV: &str = "KEYPLANE_TEST_DATABASE_URL";
pub const PEPPER: &str = "test-pepper";
/// The `--leak-reporter-token` of test servers.
pub const LEAK_REPORTER_TOKEN: &str = "test-leak-reporter-token";
/// The public URL test servers make one-time links with.
pub const PUBLIC_URL: &str = "http://keyplane.test";
/// Write-behind flush interval of test servers: short, so tests see writes soon.
pub const FLUSH: std::time::Duration = std::time::Duration::from_millis(50);

/// Everything the servers of this test binary log, for tests that grep it.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        log_buffer().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        tracing_subscriber::fmt()
            .with_env_filter("debug,sqlx=debug,sea_orm=debug,hyper=info,h2=info,reqwest=info")
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .init();
    });
}

/// Builds and starts a server on `url` the way `main` does; answers its address and how to
/// stop it.
async fn start_server(
    url: &str,
    data_key: &DataKey,
    options: TestOptions,
) -> (SocketAddr, oneshot::Sender<()>, JoinHandle<()>) {
    let store = open_store(url).await.expect("open store");
    let settings = ServerSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        limits: options.limits,
        http: HttpSettings {
            max_body_bytes: 64 * 1024,
            parse_cache_capacity: options.parse_cache_capacity,
            metrics_token: options.metrics_token.map(str::to_owned),
            trusted_proxies: options.trusted_proxies.map(|list| {
                let entries: Vec<&str> = list.split(',').collect();
                keyplane_domain::ip_ranges::IpRanges::parse("trusted-proxies", &entries, 100)
                    .expect("trusted proxies")
            }),
        },
        service: ServiceSettings {
            expiring_soon: chrono::Duration::days(7),
            key_cache_capacity: options.key_cache_capacity,
            key_cache_ttl: options.cache_ttl,
            sessions: options.sessions,
            public_url: PUBLIC_URL.to_owned(),
            redis: options.redis_url.as_deref().map(redis::open),
            flush: FlushIntervals {
                activity: options.flush,
                last_used: options.flush,
            },
            retention: Retention {
                interval: options.retention_interval,
                ..Retention::default()
            },
            webhooks: WebhookSettings {
                retry: keyplane_domain::webhook::RetrySchedule {
                    base: options.webhook_retry_base,
                    ..Default::default()
                },
                allow_private: options.webhook_allow_private,
            },
            expiry_sweep: options.expiry_sweep,
            leak_reporter_token: Some(LEAK_REPORTER_TOKEN.to_owned()),
            legacy_customer_tokens: options.legacy_customer_tokens,
            max_event_streams: options.max_event_streams,
            passwords: options.passwords,
        },
    };
    let app = Application::build(store, key_hasher(Some(PEPPER)), data_key.clone(), settings)
        .await
        .expect("build application");
    let addr = app.local_addr();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .expect("server runs");
    });
    (addr, shutdown, server)
}

/// The suite's HTTP client. It asks for `application/graphql-response+json`, as current GraphQL
/// clients do, so request errors are 4xx; the transport tests set `Accept` themselves.
pub fn client() -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT,
        reqwest::header::HeaderValue::from_static("application/graphql-response+json"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("an HTTP client")
}

/// How a test server differs from the defaults.
/// A running server over its own database, with the six default secrets.
pub struct TestApp {
    pub data_key: DataKey,
    options: TestOptions,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub keys: BootstrapOutput,
    pub db: TestDatabase,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with_plan(Plan::Scale).await
    }

    pub async fn spawn_with_plan(plan: Plan) -> Self {
        Self::spawn_with(TestOptions {
            plan,
            ..TestOptions::default()
        })
        .await
    }

    pub async fn spawn_with(options: TestOptions) -> Self {
        let TestOptions { plan, .. } = options;
        init_logs();
        let db = TestDatabase::create().await;
        let store = open_store(&db.url()).await.expect("open store");
        let keys = bootstrap(&store, &key_hasher(Some(PEPPER)), "Acme", plan, PUBLIC_URL)
            .await
            .expect("bootstrap");
        store.close().await.unwrap();
        Self::start(db, keys, DataKey::generate(&mut rand::rng()), options).await
    }

    async fn start(
        db: TestDatabase,
        keys: BootstrapOutput,
        data_key: DataKey,
        options: TestOptions,
    ) -> Self {
        let (addr, shutdown, server) = start_server(&db.url(), &data_key, options.clone()).await;
        Self {
            data_key,
            options,
            addr,
            client: client(),
            keys,
            db,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    /// A second server on the same database, as another replica would be.
    pub async fn replica(&self) -> Replica {
        let (addr, shutdown, server) =
            start_server(&self.db.url(), &self.data_key, self.options.clone()).await;
        Replica {
            addr,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    /// Stops the server gracefully and starts a new one on the same database.
    pub async fn restart(mut self) -> Self {
        self.stop().await;
        let db = std::mem::replace(
            &mut self.db,
            TestDatabase::Sqlite {
                dir: PathBuf::new(),
            },
        );
        let keys = std::mem::replace(
            &mut self.keys,
            BootstrapOutput {
                account_id: String::new(),
                account_name: String::new(),
                plan: Plan::Free,
                environments: Vec::new(),
                setup_link: None,
            },
        );
        Self::start(db, keys, self.data_key.clone(), self.options.clone()).await
    }

    async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The full-access key of an environment (`production`, `staging`, `development`).
    pub fn server_key(&self, slug: &str) -> String {
        self.env_keys(slug).full_access_key.expose().to_owned()
    }

    pub fn publishable_key(&self, slug: &str) -> String {
        self.env_keys(slug).publishable_key.expose().to_owned()
    }

    fn env_keys(&self, slug: &str) -> &keyplane::bootstrap::DefaultKeys {
        self.keys
            .environments
            .iter()
            .find(|e| e.slug == slug)
            .expect("a default environment")
    }

    pub fn admin(&self) -> String {
        self.server_key("production")
    }

    /// POSTs a GraphQL request with `key` (or none).
    pub async fn gql(&self, key: Option<&str>, query: &str, variables: Value) -> Gql {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(key) = key {
            request = request.header("X-API-Key", key);
        }
        Gql::read(request.send().await.expect("request sent")).await
    }

    /// A query that must succeed: answers `data`.
    pub async fn ok(&self, key: &str, query: &str, variables: Value) -> Value {
        self.gql(Some(key), query, variables).await.data()
    }

    /// Creates a scoped key with `scopes` using the production full-access key; answers
    /// `(id, secret)`.
    pub async fn create_key(&self, name: &str, scopes: &[&str]) -> (String, String) {
        self.create_key_as(&self.admin(), name, scopes).await
    }

    pub async fn create_key_as(
        &self,
        caller: &str,
        name: &str,
        scopes: &[&str],
    ) -> (String, String) {
        self.create_key_with(caller, json!({ "name": name, "scopes": scopes }))
            .await
    }

    /// Creates a key from a whole `CreateApiKeyInput` with the production full-access key;
    /// answers `(id, secret)`.
    pub async fn create_key_from(&self, input: Value) -> (String, String) {
        self.create_key_with(&self.admin(), input).await
    }

    async fn create_key_with(&self, caller: &str, input: Value) -> (String, String) {
        let data = self
            .ok(
                caller,
                "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }",
                json!({ "input": input }),
            )
            .await;
        (
            data["createApiKey"]["apiKey"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            data["createApiKey"]["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// Retries `query` until `done` holds of its data (write-behind lands within a flush).
    pub async fn eventually(
        &self,
        query: &str,
        variables: Value,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        for _ in 0..100 {
            let data = self.ok(&self.admin(), query, variables.clone()).await;
            if done(&data) {
                return data;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{query} never satisfied the condition");
    }

    /// The production environment's keys and audit trail: what a refused mutation must leave
    /// unchanged.
    pub async fn snapshot(&self) -> Value {
        self.ok(
            &self.admin(),
            "{ apiKeys(first: 100) { edges { node { id name description scopes status expiresAt revokedAt disabledReason allowedIps metadata externalId replacedBy { id } } } }
               auditEvents(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
