//! `keyplane login` and `keyplane logout`: a person's session, kept in the config file's
//! profile (mode 0600), the only secret the file holds.

use std::io::IsTerminal;

use clap::Args;
use keyplane_client::{Credentials, ErrorCode, Secret};
use serde_json::json;

use super::exit::Failure;
use super::output::Out;
use super::profile::{self, ConfigFile};
use super::{ClientArgs, build, read_stdin_line};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyplane login --url https://keys.example.com --email ops@example.com
  keyplane login --profile staging --url https://keys.example.com --email ops@example.com --environment staging
  secret-tool lookup keyplane ops | keyplane login --url https://keys.example.com --email ops@example.com

The password is asked for on the terminal, or read from stdin when stdin is not a terminal;
never from an argument. The session token is kept in the config file ($KEYPLANE_CONFIG, else
$XDG_CONFIG_HOME/keyplane/config.toml, else ~/.config/keyplane/config.toml), mode 0600.")]
pub struct LoginArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The person's email.
    #[arg(long, env = "KEYPLANE_EMAIL")]
    email: String,
}

pub async fn login(args: LoginArgs, out: &Out) -> Result<(), Failure> {
    if args.client.api_key_stdin || args.client.api_key_file.is_some() {
        return Err(Failure::Usage(
            "login signs a person in with a password: it takes no API key".to_owned(),
        ));
    }
    let path = profile::path()?;
    let mut config = ConfigFile::load(&path, out)?;
    let mut saved = config.profile(args.client.profile_name());
    let url = args
        .client
        .url
        .clone()
        .or(saved.url.clone())
        .ok_or_else(|| Failure::Usage("login needs --url (or KEYPLANE_URL)".to_owned()))?;
    super::warn_if_plain_http(&url, out);
    let password = password(&args.email)?;
    let anonymous = build(&url, None, &args.client)?;
    let login = anonymous.login(&args.email, &password).await?;
    let environment = args
        .client
        .environment
        .clone()
        .or(saved.environment.clone())
        .unwrap_or_else(|| profile::DEFAULT_ENVIRONMENT.to_owned());
    if !login.environments.iter().any(|e| e.slug == environment) {
        let slugs: Vec<&str> = login.environments.iter().map(|e| e.slug.as_str()).collect();
        out.warn(&format!(
            "{environment:?} is not one of this account's environments ({}); pass --environment",
            slugs.join(", ")
        ));
    }
    saved.url = Some(
        anonymous
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
    );
    saved.environment = Some(environment.clone());
    saved.session_token = Some(login.token);
    config
        .profiles
        .insert(args.client.profile_name().to_owned(), saved);
    config.save(&path)?;
    if out.json() {
        out.value(&json!({
            "profile": args.client.profile_name(),
            "url": url,
            "environment": environment,
            "user": login.user,
            "expiresAt": login.expires_at,
            "environments": login.environments,
        }))?;
    }
    out.done(&format!(
        "signed in as {} ({}) in {environment}, until {}; session kept in {} (profile {})",
        login.user.email,
        login.user.role,
        super::output::instant(Some(login.expires_at)),
        path.display(),
        args.client.profile_name()
    ));
    Ok(())
}

/// The password: asked for on the terminal (not echoed), or the first line of stdin.
fn password(email: &str) -> Result<Secret, Failure> {
    if std::io::stdin().is_terminal() {
        let typed = rpassword::prompt_password(format!("Password for {email}: "))
            .map_err(|err| Failure::Local(format!("cannot read the password: {err}")))?;
        if typed.is_empty() {
            return Err(Failure::Usage("no password given".to_owned()));
        }
        return Ok(Secret::new(typed));
    }
    read_stdin_line("the password")
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyplane logout
  keyplane logout --profile staging")]
pub struct LogoutArgs {
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Ends the session on the server, then forgets its token. A session the server has already
/// ended is forgotten too; one the server could not be asked to end is kept, to try again.
pub async fn logout(args: LogoutArgs, out: &Out) -> Result<(), Failure> {
    let path = profile::path()?;
    let mut config = ConfigFile::load(&path, out)?;
    let name = args.client.profile_name();
    let mut saved = config.profile(name);
    let (Some(token), Some(url)) = (saved.session_token.clone(), saved.url.clone()) else {
        return Err(Failure::NoCredentials(format!(
            "profile {name:?} has no session: nothing to sign out of"
        )));
    };
    let environment = saved
        .environment
        .clone()
        .unwrap_or_else(|| profile::DEFAULT_ENVIRONMENT.to_owned());
    let client = build(
        &url,
        Some(Credentials::session(token, environment)),
        &args.client,
    )?;
    match client.logout().await {
        Ok(()) => {}
        Err(err) if err.code() == Some(&ErrorCode::Unauthenticated) => {
            out.note("the session had already ended");
        }
        Err(err) => return Err(err.into()),
    }
    saved.session_token = None;
    config.profiles.insert(name.to_owned(), saved);
    config.save(&path)?;
    out.done(&format!("signed out of {url} (profile {name})"));
    Ok(())
}
