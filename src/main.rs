use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use keyplane::bootstrap::SecretsFile;
use keyplane::config::{
    BootstrapArgs, Cli, Command, DEFAULT_LISTEN, OutputFormat, ServeArgs, UserCommand, public_url,
    trusted_proxies,
};
use keyplane::{
    AppError, Application, BootstrapOutput, ServerSettings, bootstrap, key_hasher, load_data_key,
    open_store, shutdown_signal, telemetry,
};
use std::time::Duration;

use keyplane_api::HttpSettings;
use keyplane_domain::session::SessionPolicy;
use keyplane_domain::webhook::RetrySchedule;
use keyplane_service::passwords::PasswordSettings;
use keyplane_service::users::operator;
use keyplane_service::{FlushIntervals, Retention, ServiceSettings, WebhookSettings};

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    telemetry::init(cli.global.log_format);
    // The client commands talk HTTP to a server: they never open the database.
    cli.command = match cli.command.into_client() {
        Ok(client) => return keyplane::cli::run(client).await,
        Err(server) => server,
    };
    if let Command::Completions { shell } = cli.command {
        return keyplane::cli::completions(shell);
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "keyplane failed");
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), AppError> {
    if let Command::Backup(args) = &cli.command {
        // A copy, not a migration: the database is read as the running server left it.
        return keyplane::backup::run(&cli.global.database_url, &args.path).await;
    }
    let store = open_store(&cli.global.database_url).await?;
    let hasher = key_hasher(cli.global.key_pepper.as_deref());
    match cli.command {
        Command::Migrate => {
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::SetPlan(args) => {
            let account = store.set_plan(args.plan.into()).await?;
            println!(
                "account {:?} is now on the {} plan",
                account.name,
                account.plan.as_str()
            );
            store.close().await?;
            Ok(())
        }
        Command::User(command) => {
            let url = public_url(cli.global.public_url.as_deref(), default_listen());
            let link = match command {
                UserCommand::Add { email, role } => {
                    operator::add_user(&store, &url, &email, role.into()).await?
                }
                UserCommand::ResetPassword { email } => {
                    operator::reset_password(&store, &url, &email).await?
                }
            };
            // The link is a credential: stdout, once, never the logger.
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(
                stdout,
                "One-time link (valid until {}):\n{}",
                link.expires_at.to_rfc3339(),
                link.url
            );
            store.close().await?;
            Ok(())
        }
        Command::Init(args) => {
            load_data_key(cli.global.data_key.as_deref(), &cli.global.data_key_file)?;
            let url = public_url(cli.global.public_url.as_deref(), default_listen());
            let output = run_bootstrap(&store, &hasher, &args.bootstrap, &url).await?;
            print_keys(&output, args.bootstrap.output);
            store.close().await?;
            Ok(())
        }
        Command::Keys(_)
        | Command::Audit(_)
        | Command::Usage(_)
        | Command::Login(_)
        | Command::Logout(_)
        | Command::Completions { .. }
        | Command::Backup(_) => unreachable!("handled before the database opens"),
        Command::Serve(args) => {
            let url = public_url(cli.global.public_url.as_deref(), args.listen);
            // A bad Redis URL or CA file is refused before anything is bootstrapped.
            let redis = args
                .redis_url
                .as_deref()
                .map(|url| {
                    keyplane::open_redis(
                        url,
                        Duration::from_millis(args.redis_timeout_ms),
                        args.redis_ca_file.as_deref(),
                    )
                })
                .transpose()?;
            if !store.is_initialised().await? {
                bootstrap_on_serve(&store, &hasher, &args, &url).await?;
            }
            let settings = ServerSettings {
                listen: args.listen,
                limits: keyplane_api::ServerLimits {
                    header_read_timeout: Duration::from_secs(args.header_read_timeout_seconds),
                    request_timeout: Duration::from_secs(args.request_timeout_seconds),
                    max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
                },
                http: HttpSettings {
                    max_body_bytes: args.max_body_bytes as usize,
                    parse_cache_capacity: usize::try_from(args.parse_cache_capacity)
                        .unwrap_or(usize::MAX),
                    metrics_token: args.metrics_token.as_deref().map(str::to_owned),
                    trusted_proxies: trusted_proxies(&args.trusted_proxies),
                },
                service: ServiceSettings {
                    expiring_soon: chrono::Duration::days(i64::from(args.expiring_soon_days)),
                    key_cache_capacity: usize::try_from(args.key_cache_capacity)
                        .unwrap_or(usize::MAX),
                    key_cache_ttl: Duration::from_secs(args.key_cache_ttl_seconds),
                    sessions: SessionPolicy {
                        idle: chrono::Duration::hours(i64::from(args.session_idle_hours)),
                        absolute: chrono::Duration::days(i64::from(args.session_absolute_days)),
                    },
                    public_url: url,
                    redis,
                    flush: FlushIntervals {
                        activity: Duration::from_millis(args.activity_flush_ms),
                        last_used: Duration::from_secs(args.last_used_flush_seconds),
                    },
                    retention: Retention {
                        activity: days(args.activity_retention_days),
                        usage_minutes: days(args.usage_minute_retention_days),
                        usage_hours: days(args.usage_hour_retention_days),
                        events: days(args.event_retention_days),
                        ..Retention::default()
                    },
                    webhooks: WebhookSettings {
                        retry: RetrySchedule {
                            base: Duration::from_millis(args.webhook_retry_base_ms),
                            ..RetrySchedule::default()
                        },
                        allow_private: args.webhook_allow_private,
                    },
                    expiry_sweep: Duration::from_millis(args.expiry_sweep_ms),
                    leak_reporter_token: args.leak_reporter_token.as_deref().map(str::to_owned),
                    legacy_customer_tokens: args.legacy_customer_tokens.into(),
                    max_event_streams: args.max_event_streams as usize,
                    passwords: PasswordSettings::with_concurrency(
                        args.password_hash_concurrency
                            .and_then(|n| std::num::NonZeroUsize::new(usize::from(n))),
                    ),
                },
            };
            let data_key =
                load_data_key(cli.global.data_key.as_deref(), &cli.global.data_key_file)?;
            let shutdown = shutdown_signal();
            let app = Application::build(store, hasher, data_key, settings).await?;
            tracing::info!(listen = %app.local_addr(), "keyplane serving; console at /console, GraphiQL at /graphql");
            app.run_until(shutdown).await
        }
    }
}

async fn run_bootstrap(
    store: &keyplane_store::Store,
    hasher: &keyplane_domain::secret::KeyHasher,
    args: &BootstrapArgs,
    public_url: &str,
) -> Result<BootstrapOutput, AppError> {
    bootstrap(
        store,
        hasher,
        &args.account_name,
        args.plan.into(),
        public_url,
    )
    .await
}

fn default_listen() -> std::net::SocketAddr {
    DEFAULT_LISTEN
        .parse()
        .expect("the default listen address parses")
}

/// Secrets go to stdout, once, and never through the logger.
fn print_keys(output: &BootstrapOutput, format: OutputFormat) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", keys_text(output, format));
    let _ = stdout.flush();
}

fn keys_text(output: &BootstrapOutput, format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => output.to_json().to_string(),
        OutputFormat::Text => output.to_text(),
    }
}

/// `serve` on an empty database: bootstraps, and hands the secrets to a person at a terminal,
/// or else to a file only its owner can read (a container's stdout ends up in logs). The file
/// is made before the bootstrap, so a path that cannot be written fails before anything is.
async fn bootstrap_on_serve(
    store: &keyplane_store::Store,
    hasher: &keyplane_domain::secret::KeyHasher,
    args: &ServeArgs,
    url: &str,
) -> Result<(), AppError> {
    if std::io::stdout().is_terminal() {
        let output = run_bootstrap(store, hasher, &args.bootstrap, url).await?;
        print_keys(&output, args.bootstrap.output);
        return Ok(());
    }
    let file = SecretsFile::create(&args.bootstrap_secrets_file)?;
    let output = match run_bootstrap(store, hasher, &args.bootstrap, url).await {
        Ok(output) => output,
        Err(err) => {
            file.discard();
            return Err(err);
        }
    };
    let path = file.write(&keys_text(&output, args.bootstrap.output))?;
    tracing::warn!(
        path = %path.display(),
        "bootstrapped: the default keys and the first owner's setup link are in this file (mode 0600), not on stdout; read them, store them, then delete it"
    );
    Ok(())
}

fn days(days: u16) -> chrono::Duration {
    chrono::Duration::days(i64::from(days))
}
