//! The client commands of the `keyplane` binary (`keys`, `audit`, `usage`, `login`, `logout`,
//! `completions`): a client of the REST API built on `keyplane-client`, as `gh` is of GitHub's.
//! They translate flags into client calls and answers into output, and nothing else: every
//! rule is the server's, and the retries, the `Idempotency-Key` and the error codes are the
//! client crate's. None of them opens the database.

pub mod exit;
pub mod keys;
pub mod login;
pub mod output;
pub mod profile;
pub mod records;
pub mod values;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use keyplane_client::{Client, Credentials, IdempotencyKey, RetryPolicy, Secret};

use exit::Failure;
use output::{Format, Out};

/// How a client command reaches Keyplane and prints its answer; every client command takes
/// these, before or after its own.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct ClientArgs {
    /// The Keyplane server (`https://keys.example.com`); else the profile's.
    #[arg(long, env = "KEYPLANE_URL", global = true)]
    pub url: Option<String>,

    /// Read the API key from this file (its first line). The key can also come from
    /// `KEYPLANE_API_KEY`, never from an argument: a command line ends up in shell history and
    /// `ps`.
    #[arg(long, value_name = "PATH", global = true)]
    pub api_key_file: Option<PathBuf>,

    /// Read the API key from stdin (its first line).
    #[arg(long, global = true, conflicts_with = "api_key_file")]
    pub api_key_stdin: bool,

    /// The profile of the config file to use (its URL, environment and session).
    #[arg(long, env = "KEYPLANE_PROFILE", global = true, default_value = profile::DEFAULT)]
    pub profile: String,

    /// The environment a person's session acts in (`Keyplane-Environment`); else the
    /// profile's. An API key acts in its own environment.
    #[arg(long, env = "KEYPLANE_ENVIRONMENT", global = true)]
    pub environment: Option<String>,

    /// `table` for people, `json` for scripts (a list is one JSON array; with `--all`, one
    /// object per line).
    #[arg(long, short = 'o', value_enum, global = true, default_value_t = Format::Table)]
    pub output: Format,

    /// The `Idempotency-Key` of the command's POST (by default one is made per run). Run a
    /// pipeline step again with the same key and Keyplane answers with the first run's answer
    /// instead of doing it twice.
    #[arg(long, value_name = "KEY", global = true)]
    pub idempotency_key: Option<String>,

    /// Attempts of each call in all: a lost connection, a 429 or a 503 is retried with
    /// backoff (honouring `Retry-After` up to 10 s).
    #[arg(long, global = true, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub attempts: u32,
}

/// A client command.
#[derive(Debug)]
pub enum ClientCommand {
    Keys(Box<keys::KeysArgs>),
    Audit(Box<records::AuditArgs>),
    Usage(Box<records::UsageArgs>),
    Login(Box<login::LoginArgs>),
    Logout(Box<login::LogoutArgs>),
}

impl ClientCommand {
    fn client_args(&self) -> &ClientArgs {
        match self {
            Self::Keys(args) => &args.client,
            Self::Audit(args) => &args.client,
            Self::Usage(args) => &args.client,
            Self::Login(args) => &args.client,
            Self::Logout(args) => &args.client,
        }
    }
}

/// Runs a client command and answers its exit code.
pub async fn run(command: ClientCommand) -> ExitCode {
    let out = Out::new(command.client_args().output);
    let result = match command {
        ClientCommand::Keys(args) => keys::run(*args, &out).await,
        ClientCommand::Audit(args) => records::audit(*args, &out).await,
        ClientCommand::Usage(args) => records::usage(*args, &out).await,
        ClientCommand::Login(args) => login::login(*args, &out).await,
        ClientCommand::Logout(args) => login::logout(*args, &out).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => exit::report(&out, &failure),
    }
}

/// Who a command acts as, and where: the server's URL and the credential, by the rules of
/// docs/cli.md (an API key from a file, stdin or `KEYPLANE_API_KEY`, else the profile's
/// session in its environment).
pub fn connect(args: &ClientArgs, out: &Out) -> Result<Client, Failure> {
    let path = profile::path()?;
    let config = profile::ConfigFile::load(&path, out)?;
    let profile = config.profile(&args.profile);
    let url = args.url.clone().or(profile.url.clone()).ok_or_else(|| {
        Failure::Usage(
            "no Keyplane server: pass --url, set KEYPLANE_URL, or sign in with keyplane login"
                .to_owned(),
        )
    })?;
    let credentials = match api_key(args)? {
        Some(key) => Credentials::ApiKey(key),
        None => match profile.session_token {
            Some(token) => Credentials::session(
                token,
                args.environment
                    .clone()
                    .or(profile.environment)
                    .unwrap_or_else(|| "production".to_owned()),
            ),
            None => {
                return Err(Failure::NoCredentials(format!(
                    "no credential: set KEYPLANE_API_KEY, pass --api-key-file or --api-key-stdin, or sign in with keyplane login (profile {:?})",
                    args.profile
                )));
            }
        },
    };
    warn_if_plain_http(&url, out);
    let client = build(&url, Some(credentials), args)?;
    match &args.idempotency_key {
        Some(key) => Ok(client.with_idempotency_key(IdempotencyKey::new(key.clone())?)),
        None => Ok(client),
    }
}

/// A credential sent over plain HTTP to another machine can be read on the way: say so.
pub fn warn_if_plain_http(url: &str, out: &Out) {
    if is_plain_http_off_this_machine(url) {
        out.warn(&format!(
            "{url} is plain HTTP: the credential crosses the network unencrypted; use https://"
        ));
    }
}

fn is_plain_http_off_this_machine(url: &str) -> bool {
    let Ok(parsed) = keyplane_client::Url::parse(url) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or_default();
    let local = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    parsed.scheme() == "http" && !local
}

/// A client of `url` under the command's retry policy.
pub fn build(
    url: &str,
    credentials: Option<Credentials>,
    args: &ClientArgs,
) -> Result<Client, Failure> {
    Client::builder(url, credentials)
        .retry(RetryPolicy::new(
            args.attempts,
            Duration::from_millis(200),
            Duration::from_secs(10),
        ))
        .build()
        .map_err(Failure::from)
}

/// The API key the flags or the environment name, if any.
fn api_key(args: &ClientArgs) -> Result<Option<Secret>, Failure> {
    if let Some(path) = &args.api_key_file {
        let text = std::fs::read_to_string(path).map_err(|err| {
            Failure::Local(format!(
                "cannot read the API key from {}: {err}",
                path.display()
            ))
        })?;
        return first_line(&text, "the API key file").map(Some);
    }
    if args.api_key_stdin {
        return read_stdin("the API key").map(Some);
    }
    match std::env::var("KEYPLANE_API_KEY") {
        Ok(key) if !key.trim().is_empty() => Ok(Some(Secret::new(key.trim()))),
        _ => Ok(None),
    }
}

/// A secret on the first line of `text`.
fn first_line(text: &str, what: &str) -> Result<Secret, Failure> {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.is_empty() {
        return Err(Failure::Usage(format!("{what} is empty")));
    }
    Ok(Secret::new(line))
}

/// A secret on the first line of stdin, which must not be a terminal (a secret typed there
/// would be echoed).
pub fn read_stdin(what: &str) -> Result<Secret, Failure> {
    let line = read_stdin_line(what)?;
    first_line(line.expose(), what)
}

/// The first line of stdin as it is, only its line ending removed (a password may begin or
/// end with a space).
pub fn read_stdin_line(what: &str) -> Result<Secret, Failure> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Failure::Usage(format!(
            "{what} is read from stdin: pipe it in (for example from a file or a secret store)"
        )));
    }
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .map_err(|err| Failure::Local(format!("cannot read {what} from stdin: {err}")))?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(Failure::Usage(format!("{what} is empty")));
    }
    Ok(Secret::new(line))
}

/// `keyplane completions SHELL`: the completion script, on stdout.
pub fn completions(shell: clap_complete::Shell) {
    let mut command = <crate::config::Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut command, "keyplane", &mut std::io::stdout());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_warned_of_only_off_this_machine() {
        for (url, warned) in [
            ("http://keys.example.com", true),
            ("http://10.0.0.7:8080", true),
            ("https://keys.example.com", false),
            ("http://127.0.0.1:8080", false),
            ("http://localhost:8080", false),
            ("http://[::1]:8080", false),
        ] {
            assert_eq!(is_plain_http_off_this_machine(url), warned, "{url}");
        }
    }
}
