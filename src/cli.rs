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

use std::io::{IsTerminal, Read, Write};
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

    /// The profile of the config file to use (its URL, environment and session); `default`
    /// when none is named. A profile named here must be in the file (`keyplane login` makes
    /// one).
    #[arg(long, env = "KEYPLANE_PROFILE", global = true)]
    pub profile: Option<String>,

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
    #[arg(long, global = true, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=i64::from(RetryPolicy::MAX_ATTEMPTS)))]
    pub attempts: u32,
}

impl ClientArgs {
    /// The profile named by `--profile` or `KEYPLANE_PROFILE`, else `default`.
    pub fn profile_name(&self) -> &str {
        self.profile.as_deref().unwrap_or(profile::DEFAULT)
    }
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
/// session in its environment). A pipeline that gives an API key and a URL and names no
/// profile never reads the config file (it may not have one, nor a `HOME`).
pub fn connect(args: &ClientArgs, out: &Out) -> Result<Client, Failure> {
    let key = api_key(args)?;
    let (url, credentials) = match (key, &args.url) {
        (Some(key), Some(url)) if args.profile.is_none() => (url.clone(), Credentials::ApiKey(key)),
        (key, _) => from_profile(args, key, out)?,
    };
    warn_if_plain_http(&url, out);
    let client = build(&url, Some(credentials), args)?;
    // One key per run, named or made here, so that a secret stdout could not take can be
    // asked for again under it (a run makes at most one idempotent POST).
    let key = match &args.idempotency_key {
        Some(key) => IdempotencyKey::new(key.clone())?,
        None => IdempotencyKey::generate(),
    };
    Ok(client.with_idempotency_key(key))
}

/// The URL and credential with the config file's profile: its URL unless one is given, and
/// its session unless an API key is, and then only to the server it was saved for.
fn from_profile(
    args: &ClientArgs,
    key: Option<Secret>,
    out: &Out,
) -> Result<(String, Credentials), Failure> {
    let path = profile::path()?;
    let config = profile::ConfigFile::load(&path, out)?;
    let name = args.profile_name();
    if args.profile.is_some() && !config.profiles.contains_key(name) {
        return Err(Failure::Usage(format!(
            "no profile {name:?} in {}: sign in with keyplane login --profile {name}",
            path.display()
        )));
    }
    let profile = config.profile(name);
    let url = args.url.clone().or(profile.url.clone()).ok_or_else(|| {
        Failure::Usage(
            "no Keyplane server: pass --url, set KEYPLANE_URL, or sign in with keyplane login"
                .to_owned(),
        )
    })?;
    if let Some(key) = key {
        return Ok((url, Credentials::ApiKey(key)));
    }
    let no_credential = |why: String| {
        Failure::NoCredentials(format!(
            "no credential: {why}; set KEYPLANE_API_KEY, pass --api-key-file or --api-key-stdin, or sign in with keyplane login (profile {name:?})"
        ))
    };
    let Some(token) = profile.session_token else {
        return Err(no_credential("the profile holds no session".to_owned()));
    };
    let saved_for = profile.url.as_deref().unwrap_or_default();
    if !profile::same_server(saved_for, &url) {
        // --url or KEYPLANE_URL names another server than the one that issued the session:
        // the token is not sent there.
        return Err(no_credential(format!(
            "the profile's session is for {saved_for}, not {url}"
        )));
    }
    let environment = args
        .environment
        .clone()
        .or(profile.environment)
        .unwrap_or_else(|| profile::DEFAULT_ENVIRONMENT.to_owned());
    Ok((url, Credentials::session(token, environment)))
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

/// The longest line a secret is read from (a key, a password): far above any Keyplane
/// secret, and a bound on what a wrong file or stream can make the command hold.
const MAX_SECRET_LINE: u64 = 8 * 1024;

/// The API key the flags or the environment name, if any. `KEYPLANE_API_KEY` set but blank is
/// an error rather than a silent fall back to a session: a pipeline's secret went missing.
fn api_key(args: &ClientArgs) -> Result<Option<Secret>, Failure> {
    if let Some(path) = &args.api_key_file {
        return read_secret_file(path, "the API key file").map(Some);
    }
    if args.api_key_stdin {
        return read_stdin("the API key").map(Some);
    }
    match std::env::var("KEYPLANE_API_KEY") {
        Ok(key) if key.trim().is_empty() => Err(Failure::Usage(
            "KEYPLANE_API_KEY is set but empty: unset it to use a session".to_owned(),
        )),
        Ok(key) => Ok(Some(Secret::new(key.trim()))),
        Err(_) => Ok(None),
    }
}

/// The first line of `reader`, its line ending removed, at most [`MAX_SECRET_LINE`] bytes.
fn bounded_line(reader: impl Read, what: &str) -> Result<Secret, Failure> {
    let mut bytes = Vec::new();
    let mut limited = std::io::BufReader::new(reader.take(MAX_SECRET_LINE + 1));
    std::io::BufRead::read_until(&mut limited, b'\n', &mut bytes)
        .map_err(|err| Failure::Local(format!("cannot read {what}: {err}")))?;
    if bytes.len() as u64 > MAX_SECRET_LINE {
        return Err(Failure::Usage(format!(
            "{what}: its first line is longer than {MAX_SECRET_LINE} bytes"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Usage(format!("{what} is not UTF-8 text")))?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Err(Failure::Usage(format!("{what} is empty")));
    }
    Ok(Secret::new(line))
}

/// A secret on the first line of the file at `path`, trimmed.
pub fn read_secret_file(path: &std::path::Path, what: &str) -> Result<Secret, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|err| Failure::Local(format!("cannot read {}: {err}", path.display())))?;
    trimmed(bounded_line(file, what)?, what)
}

fn trimmed(secret: Secret, what: &str) -> Result<Secret, Failure> {
    let line = secret.expose().trim();
    if line.is_empty() {
        return Err(Failure::Usage(format!("{what} is empty")));
    }
    Ok(Secret::new(line))
}

/// A secret on the first line of stdin, trimmed; stdin must not be a terminal (a secret typed
/// there would be echoed).
pub fn read_stdin(what: &str) -> Result<Secret, Failure> {
    trimmed(read_stdin_line(what)?, what)
}

/// The first line of stdin as it is, only its line ending removed (a password may begin or
/// end with a space).
pub fn read_stdin_line(what: &str) -> Result<Secret, Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Failure::Usage(format!(
            "{what} is read from stdin: pipe it in (for example from a file or a secret store)"
        )));
    }
    bounded_line(stdin.lock(), what)
}

/// `keyplane completions SHELL`: the completion script, on stdout.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = <crate::config::Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "keyplane", &mut script);
    // Written whole and checked: a closed pipe is an exit 1, not a panic.
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&script).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: cannot write to stdout: {err}");
            ExitCode::from(exit::FAILURE)
        }
    }
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
