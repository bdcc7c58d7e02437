//! The one configuration of Keyplane: every flag also reads an environment variable.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod secret;

pub use secret::{Secret, SecretUrl};

/// SQLite file in the working directory: the embedded default, nothing to install.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://keyplane.db";

#[derive(Debug, Parser)]
#[command(
    name = "keyplane",
    version,
    about = "Self-hostable API-key control plane: runs a server (serve, init, …), and is a client of one (keys, audit, usage, login)",
    after_help = TOP_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Server options (serve, init, migrate, set-plan, user)")]
pub struct GlobalArgs {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: SecretUrl,

    /// Server-side secret mixed into every key hash (HMAC-SHA256). Changing it invalidates
    /// every issued key.
    #[arg(
        long,
        env = "KEYPLANE_KEY_PEPPER",
        hide_env_values = true,
        global = true
    )]
    pub key_pepper: Option<Secret>,

    /// 64 hex characters: the key that seals secrets Keyplane must read back (client signing
    /// secrets). Every replica needs the same one. Overrides --data-key-file.
    #[arg(long, env = "KEYPLANE_DATA_KEY", hide_env_values = true, global = true)]
    pub data_key: Option<Secret>,

    /// Where the data key is kept when --data-key is not given; created (mode 0600) on first
    /// start if missing.
    #[arg(
        long,
        env = "KEYPLANE_DATA_KEY_FILE",
        default_value = "keyplane.key",
        global = true
    )]
    pub data_key_file: std::path::PathBuf,

    /// Where people reach Keyplane (`https://keys.example.com`): the base of the one-time links
    /// (owner setup, invitations, password resets). Defaults to `http://` and the listen address.
    #[arg(long, env = "KEYPLANE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Log format on stderr.
    #[arg(long, env = "KEYPLANE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// The top-level help's examples and exit codes.
const TOP_HELP: &str = concat!(
    "Examples:
  keyplane serve                                   # run a server on ./keyplane.db
  export KEYPLANE_URL=https://keys.example.com KEYPLANE_API_KEY=\"$(cat /run/secrets/keyplane)\"
  keyplane keys list --status ACTIVE
  NEW_SECRET=$(keyplane keys rotate \"$KEY_ID\" --grace 1d)

",
    "Exit codes of the client commands (keys, audit, usage, login, logout):\n",
    crate::exit_code_lines!()
);

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, create the account, its environments and default keys, and print the keys once.
    #[command(after_help = "Examples:
  keyplane init --account-name Acme --output json > first-keys.json
  DATABASE_URL=postgres://keyplane@db/keyplane keyplane init")]
    Init(InitArgs),
    /// Migrate and serve; on an empty database, bootstrap first and print the default keys once.
    #[command(after_help = "Examples:
  keyplane serve
  DATABASE_URL=postgres://keyplane@db/keyplane keyplane serve --listen 0.0.0.0:8080 --public-url https://keys.example.com")]
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations.
    #[command(after_help = "Example:
  DATABASE_URL=postgres://keyplane@db/keyplane keyplane migrate")]
    Migrate,
    /// Change the account's plan. Existing keys keep working after a downgrade; only creating
    /// scoped keys needs SCALE.
    #[command(after_help = "Example:
  keyplane set-plan --plan GROWTH")]
    SetPlan(SetPlanArgs),
    /// Let people in when no owner can: invite a user, or reset a password. Prints a one-time
    /// link.
    #[command(subcommand)]
    User(UserCommand),
    /// Copy a running server's SQLite database to a new file, consistently, while it serves;
    /// the copy is checked with `PRAGMA integrity_check`. For PostgreSQL, use `pg_dump`.
    #[command(after_help = "Example:
  keyplane backup /var/backups/keyplane-$(date +%F).db")]
    Backup(BackupArgs),
    /// Manage API keys on a Keyplane server, as a client of its REST API.
    #[command(after_help = crate::cli::exit::TABLE)]
    Keys(Box<crate::cli::keys::KeysArgs>),
    /// Read the audit trail of the environment, or of one key.
    Audit(Box<crate::cli::records::AuditArgs>),
    /// A key's verifications over time.
    Usage(Box<crate::cli::records::UsageArgs>),
    /// Sign a person in; the session is kept in the config file (mode 0600).
    Login(Box<crate::cli::login::LoginArgs>),
    /// End the session on the server and forget its token.
    Logout(Box<crate::cli::login::LogoutArgs>),
    /// Print a completion script for a shell.
    #[command(after_help = "Examples:
  keyplane completions bash > /etc/bash_completion.d/keyplane
  keyplane completions zsh > \"${fpath[1]}/_keyplane\"
  keyplane completions fish > ~/.config/fish/completions/keyplane.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

impl Command {
    /// The client command this is, or the server command back.
    pub fn into_client(self) -> Result<crate::cli::ClientCommand, Self> {
        use crate::cli::ClientCommand;
        match self {
            Self::Keys(args) => Ok(ClientCommand::Keys(args)),
            Self::Audit(args) => Ok(ClientCommand::Audit(args)),
            Self::Usage(args) => Ok(ClientCommand::Usage(args)),
            Self::Login(args) => Ok(ClientCommand::Login(args)),
            Self::Logout(args) => Ok(ClientCommand::Logout(args)),
            other => Err(other),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Invite a user with a role; prints the invitation link (valid 72 hours).
    #[command(after_help = "Example:
  keyplane user add --email ops@example.com --role MEMBER")]
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Print a password-reset link for a user (valid 24 hours). Accepting it ends their
    /// sessions.
    #[command(after_help = "Example:
  keyplane user reset-password --email owner@example.com")]
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoleArg {
    Owner,
    Member,
    ReadOnly,
}

impl From<RoleArg> for keyplane_domain::user::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Owner => Self::Owner,
            RoleArg::Member => Self::Member,
            RoleArg::ReadOnly => Self::ReadOnly,
        }
    }
}

/// One `--trusted-proxies` entry: an IPv4 or IPv6 address or CIDR range.
fn parse_trusted_proxy(text: &str) -> Result<String, String> {
    keyplane_domain::ip_ranges::IpRanges::parse("trusted-proxies", &[text], 1)
        .map(|_| text.trim().to_owned())
        .map_err(|_| format!("{text:?} is not an IP address or CIDR range"))
}

/// The trusted proxies as ranges; `None` when there are none.
pub fn trusted_proxies(entries: &[String]) -> Option<keyplane_domain::ip_ranges::IpRanges> {
    keyplane_domain::ip_ranges::IpRanges::parse("trusted-proxies", entries, usize::MAX).ok()
}

/// The public URL given, or the one a server on `listen` is reached at.
pub fn public_url(given: Option<&str>, listen: SocketAddr) -> String {
    given.map_or_else(
        || format!("http://{listen}"),
        |url| url.trim_end_matches('/').to_owned(),
    )
}

/// Where `serve` listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Where to write the copy: a file that does not exist yet (it is created mode 0600).
    pub path: std::path::PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct SetPlanArgs {
    #[arg(long, env = "KEYPLANE_PLAN", value_enum)]
    pub plan: PlanArg,
}

#[derive(Debug, Clone, Args)]
pub struct BootstrapArgs {
    /// Name of the account created at bootstrap.
    #[arg(long, env = "KEYPLANE_ACCOUNT_NAME", default_value = "Default")]
    pub account_name: String,

    /// Plan of the account created at bootstrap. Scoped keys need SCALE.
    #[arg(long, env = "KEYPLANE_PLAN", value_enum, default_value_t = PlanArg::Scale)]
    pub plan: PlanArg,

    /// How the default keys are printed.
    #[arg(long, env = "KEYPLANE_OUTPUT", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub bootstrap: BootstrapArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KEYPLANE_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// A key is EXPIRING_SOON when it expires within this many days.
    #[arg(long, env = "KEYPLANE_EXPIRING_SOON_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u16).range(0..=365))]
    pub expiring_soon_days: u16,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "KEYPLANE_MAX_BODY_BYTES", default_value_t = 64 * 1024, value_parser = clap::value_parser!(u32).range(1024..=16 * 1024 * 1024))]
    pub max_body_bytes: u32,

    /// How often the activity log is written, in milliseconds. A crash loses at most this much.
    #[arg(long, env = "KEYPLANE_ACTIVITY_FLUSH_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub activity_flush_ms: u64,

    /// How often last-used times are written, in seconds (at most a minute).
    #[arg(long, env = "KEYPLANE_LAST_USED_FLUSH_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub last_used_flush_seconds: u64,

    /// Most keys the in-process cache holds; unknown key hashes are kept apart, a tenth as many.
    #[arg(long, env = "KEYPLANE_KEY_CACHE_CAPACITY", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub key_cache_capacity: u64,

    /// Seconds a cached key, environment or account is trusted without a change notice. On
    /// PostgreSQL changes arrive at once; this bounds staleness if one is missed, and on SQLite
    /// across processes sharing one file.
    #[arg(long, env = "KEYPLANE_KEY_CACHE_TTL_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub key_cache_ttl_seconds: u64,

    /// Seconds a client may take to send a request's head (request line and headers), counted
    /// from when the server starts waiting for it; a slow client, or a keep-alive connection
    /// idle that long, is closed.
    #[arg(long, env = "KEYPLANE_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_read_timeout_seconds: u64,

    /// Seconds a request may take, its body included, before it is answered 503 UNAVAILABLE.
    /// Event-queue reads get their longest wait (30 s) on top; a stream is bounded only until
    /// it starts.
    #[arg(long, env = "KEYPLANE_REQUEST_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_seconds: u64,

    /// Most client connections open at once; past it, new connections wait to be accepted until
    /// one closes. Keep it below the process's open-file limit.
    #[arg(long, env = "KEYPLANE_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,

    /// Most distinct query texts kept parsed (0 parses every request).
    #[arg(long, env = "KEYPLANE_PARSE_CACHE_CAPACITY", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub parse_cache_capacity: u64,

    /// Days an activity row (one per management call) is kept before retention deletes it.
    #[arg(long, env = "KEYPLANE_ACTIVITY_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u16).range(1..=3650))]
    pub activity_retention_days: u16,

    /// Days per-minute verification counters are kept.
    #[arg(long, env = "KEYPLANE_USAGE_MINUTE_RETENTION_DAYS", default_value_t = 14, value_parser = clap::value_parser!(u16).range(1..=400))]
    pub usage_minute_retention_days: u16,

    /// Days hourly verification counters are kept (days are summed from them).
    #[arg(long, env = "KEYPLANE_USAGE_HOUR_RETENTION_DAYS", default_value_t = 400, value_parser = clap::value_parser!(u16).range(1..=3650))]
    pub usage_hour_retention_days: u16,

    /// When set, `GET /metrics` answers only requests with `Authorization: Bearer <token>`.
    #[arg(long, env = "KEYPLANE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// Hours without a request after which a session ends.
    #[arg(long, env = "KEYPLANE_SESSION_IDLE_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u16).range(1..=720))]
    pub session_idle_hours: u16,

    /// Days after login at which a session ends, whatever happens.
    #[arg(long, env = "KEYPLANE_SESSION_ABSOLUTE_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=90))]
    pub session_absolute_days: u16,

    /// The reverse proxies in front, as addresses or CIDR ranges (comma-separated). From a
    /// peer inside them, `X-Forwarded-For` is read from the right and its right-most address
    /// outside them is the client (for IP allow-lists and the login throttle), and
    /// `X-Forwarded-Proto` and `-Host` are believed. Unset: forwarded headers are never read.
    #[arg(long, env = "KEYPLANE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_trusted_proxy)]
    pub trusted_proxies: Vec<String>,

    /// `redis://HOST:PORT/DB` (or `rediss://…` over TLS): shared state for several replicas.
    /// With it, rate limits hold across every replica that uses the same Redis; without it,
    /// each process decides its own.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretUrl>,

    /// A PEM file of the CA that signed the Redis server's certificate, for a `rediss://` URL
    /// whose server the system's roots do not know (a private CA). Without it, the system's
    /// roots check the certificate.
    #[arg(long, env = "KEYPLANE_REDIS_CA_FILE", requires = "redis_url")]
    pub redis_ca_file: Option<std::path::PathBuf>,

    /// Milliseconds a call to Redis may take before the replica decides alone (and tries Redis
    /// again a second later).
    #[arg(long, env = "KEYPLANE_REDIS_TIMEOUT_MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub redis_timeout_ms: u64,

    /// How many days environment events (and their webhook deliveries) are kept.
    #[arg(long, env = "KEYPLANE_EVENT_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..=3650))]
    pub event_retention_days: u16,

    /// Deliver webhooks to private, loopback and link-local addresses too (refused by
    /// default, so an endpoint cannot reach inside the network Keyplane runs in).
    #[arg(long, env = "KEYPLANE_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,

    /// The first retry's delay of a failed webhook, in milliseconds; each next one doubles
    /// (with jitter, at most an hour) for 24 hours.
    #[arg(long, env = "KEYPLANE_WEBHOOK_RETRY_BASE_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub webhook_retry_base_ms: u64,

    /// How often keys entering the expiring-soon window or expiring are looked for, in
    /// milliseconds.
    #[arg(long, env = "KEYPLANE_EXPIRY_SWEEP_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub expiry_sweep_ms: u64,

    /// The token a secret-scanning partner presents (`Authorization: Bearer …`) to
    /// `POST /v1/leaks`. Without it, leak reports over HTTP are off.
    #[arg(long, env = "KEYPLANE_LEAK_REPORTER_TOKEN", hide_env_values = true)]
    pub leak_reporter_token: Option<Secret>,

    /// Whether customer tokens of the two legacy forms (plain hex, and `v1.`) still verify.
    /// They can stand for another customer whose id holds a `.`; `refuse` once every backend
    /// signs the `v2` forms (see docs/client-side-security.md).
    #[arg(long, env = "KEYPLANE_LEGACY_CUSTOMER_TOKENS", value_enum, default_value_t = LegacyTokensArg::Accept)]
    pub legacy_customer_tokens: LegacyTokensArg,

    /// Most event streams (`GET /v1/events/stream`) open on this server at once; past it, and
    /// for a second stream of one credential, a stream is refused with 429 `RATE_LIMITED`.
    #[arg(long, env = "KEYPLANE_MAX_EVENT_STREAMS", default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_event_streams: u32,

    /// Password hashes (argon2id, 19 MiB each) that may run at once across login,
    /// `changePassword` and accepting links; eight times as many may wait, and past that a
    /// request is answered 503 `UNAVAILABLE`. Defaults to the number of cores.
    #[arg(long, env = "KEYPLANE_PASSWORD_HASH_CONCURRENCY", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub password_hash_concurrency: Option<u16>,

    /// Where `serve` writes the secrets of a bootstrap (the default keys and the first owner's
    /// setup link) when its stdout is not a terminal: created with mode 0600, its path logged.
    /// On a terminal they are printed instead.
    #[arg(
        long,
        env = "KEYPLANE_BOOTSTRAP_SECRETS_FILE",
        default_value = "keyplane-bootstrap-secrets"
    )]
    pub bootstrap_secrets_file: std::path::PathBuf,

    #[command(flatten)]
    pub bootstrap: BootstrapArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LegacyTokensArg {
    Accept,
    Refuse,
}

impl From<LegacyTokensArg> for keyplane_domain::client_security::LegacyTokens {
    fn from(arg: LegacyTokensArg) -> Self {
        match arg {
            LegacyTokensArg::Accept => Self::Accept,
            LegacyTokensArg::Refuse => Self::Refuse,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum PlanArg {
    Free,
    Growth,
    Scale,
}

impl From<PlanArg> for keyplane_domain::account::Plan {
    fn from(plan: PlanArg) -> Self {
        match plan {
            PlanArg::Free => Self::Free,
            PlanArg::Growth => Self::Growth,
            PlanArg::Scale => Self::Scale,
        }
    }
}
