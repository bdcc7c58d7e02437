#![doc = include_str!("../README.md")]

pub mod backup;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;

use keyplane_api::HttpSettings;
use keyplane_domain::RuleViolation;
use keyplane_domain::seal::DataKey;
use keyplane_domain::secret::KeyHasher;
use keyplane_migrations::{Migrator, MigratorTrait};
use keyplane_service::{Background, ServiceError, ServiceSettings, Services};
use keyplane_store::{Store, StoreError};
use tokio::net::TcpListener;

pub use bootstrap::{BootstrapOutput, bootstrap};

/// Why a command failed. Printed once by `main`, which exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Rejected(#[from] RuleViolation),
    #[error(transparent)]
    Store(StoreError),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("data key: {0}")]
    DataKey(String),
    #[error("bootstrap secrets file: {0}")]
    SecretsFile(String),
    #[error(transparent)]
    Redis(#[from] keyplane_redis::RedisError),
    #[error("{message} ({code})")]
    Refused { code: &'static str, message: String },
}

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        Self::Refused {
            code: err.code.as_str(),
            message: err.message,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Rejected(violation) => Self::Rejected(violation),
            other => Self::Store(other),
        }
    }
}

/// Connects and applies pending migrations: what every command does first.
pub async fn open_store(database_url: &str) -> Result<Store, AppError> {
    let store = Store::connect(database_url).await?;
    // Replicas starting together on one PostgreSQL database take turns.
    let lock = store.lock_for_migrations().await?;
    Migrator::up(store.connection(), None)
        .await
        .map_err(|e| AppError::Migration(e.to_string()))?;
    lock.release().await?;
    Ok(store)
}

/// The connection to Redis at `url`; with `ca_file`, its server's certificate is checked
/// against that CA (PEM) instead of the system's roots.
pub fn open_redis(
    url: &str,
    timeout: std::time::Duration,
    ca_file: Option<&Path>,
) -> Result<keyplane_redis::Redis, AppError> {
    let Some(path) = ca_file else {
        return Ok(keyplane_redis::Redis::open(url, timeout)?);
    };
    let ca = std::fs::read(path).map_err(|err| AppError::Refused {
        code: "BAD_USER_INPUT",
        message: format!("cannot read the Redis CA file {}: {err}", path.display()),
    })?;
    Ok(keyplane_redis::Redis::open_with_ca(url, timeout, &ca)?)
}

/// The data key: given explicitly, or read from `path`, which is created with a new key (owner
/// read/write only) when it does not exist yet.
pub fn load_data_key(explicit: Option<&str>, path: &Path) -> Result<DataKey, AppError> {
    if let Some(hex) = explicit {
        return DataKey::from_hex(hex).map_err(|e| AppError::DataKey(e.to_string()));
    }
    match std::fs::read_to_string(path) {
        Ok(text) => DataKey::from_hex(&text)
            .map_err(|e| AppError::DataKey(format!("{}: {e}", path.display()))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let key = DataKey::generate(&mut rand::rng());
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .map_err(|e| AppError::DataKey(format!("cannot create {}: {e}", path.display())))?;
            std::io::Write::write_all(&mut file, key.to_hex().as_bytes())
                .map_err(|e| AppError::DataKey(format!("cannot write {}: {e}", path.display())))?;
            tracing::info!(path = %path.display(), "created a new data key file; keep it with the database");
            Ok(key)
        }
        Err(err) => Err(AppError::DataKey(format!(
            "cannot read {}: {err}",
            path.display()
        ))),
    }
}

pub fn key_hasher(pepper: Option<&str>) -> KeyHasher {
    KeyHasher::new(pepper.map(|p| p.as_bytes().to_vec()))
}

/// What `serve` needs, decoupled from the command line so tests build the same server.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    pub service: ServiceSettings,
    pub http: HttpSettings,
    /// Header-read and request timeouts, and the connection cap.
    pub limits: keyplane_api::ServerLimits,
}

/// A bound, ready server: `main` and the end-to-end tests build it the same way.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    limits: keyplane_api::ServerLimits,
    store: Store,
    background: Background,
}

impl Application {
    pub async fn build(
        store: Store,
        hasher: KeyHasher,
        data_key: DataKey,
        settings: ServerSettings,
    ) -> Result<Self, AppError> {
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| AppError::Listen {
                    addr: settings.listen,
                    source,
                })?;
        let (services, background) =
            Services::start(store.clone(), hasher, data_key, settings.service).await?;
        Ok(Self {
            listener,
            router: keyplane_api::router(services, settings.http),
            limits: settings.limits,
            store,
            background,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` resolves, lets requests in flight finish, flushes the activity
    /// log and last-used times, then closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AppError> {
        keyplane_api::serve(self.listener, self.router, self.limits, shutdown).await;
        self.background.shutdown().await;
        self.store.close().await?;
        Ok(())
    }
}

/// Registers the ctrl-c and SIGTERM handlers now, and answers a future that resolves on
/// either. Registering before the server announces itself means a signal sent right after start
/// still shuts it down gracefully instead of killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let interrupted = async {
                match interrupt.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending().await,
                }
            };
            let terminated = async {
                match terminate.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = interrupted => {},
                () = terminated => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown requested; finishing requests in flight");
    }
}
