//! How a client command ends: its exit code, and the one place an error is printed. The codes
//! are a contract with the scripts that branch on them (docs/cli.md has the table): never
//! renumber one.

use std::process::ExitCode;

use keyplane_client::{Error, ErrorCode};

use super::output::Out;

/// The command did what it was asked.
pub const SUCCESS: u8 = 0;
/// Anything not below: a refusal of the input (`BAD_USER_INPUT`), a server error, a config
/// file that cannot be written, a bulk revocation that skipped keys.
pub const FAILURE: u8 = 1;
/// The command line itself is wrong (clap exits with 2 too).
pub const USAGE: u8 = 2;
/// No credential, or the credential is refused (`UNAUTHENTICATED`, `FORBIDDEN`).
pub const AUTH: u8 = 3;
/// `NOT_FOUND`: no such key (or one of another environment).
pub const NOT_FOUND: u8 = 4;
/// `CONFLICT` or `IDEMPOTENCY_CONFLICT`.
pub const CONFLICT: u8 = 5;
/// `RATE_LIMITED` after the retries (or a `Retry-After` too long to wait): the caller is.
pub const RATE_LIMITED: u8 = 6;
/// Keyplane could not be reached, or answered `UNAVAILABLE` after the retries.
pub const UNAVAILABLE: u8 = 7;
/// `keys verify`: the verified key is not valid (unknown, revoked, expired, disabled, lacking
/// the permission, …). Not 3: that is the asking credential refused.
pub const VERIFIED_KEY_REFUSED: u8 = 8;
/// `keys verify`: the verified key is rate limited or out of quota. Not 6: that is the asking
/// credential rate limited.
pub const VERIFIED_KEY_LIMITED: u8 = 9;

/// The exit-code lines of `--help`, as a literal so that the top-level help can `concat!` it;
/// docs/cli.md says the same.
#[macro_export]
macro_rules! exit_code_lines {
    () => {
        "  0    success
  1    any other failure (input refused by the server, server error, keys skipped by a bulk
       revocation, stdout that cannot be written)
  2    usage error (a bad flag or value, a missing argument, no server URL, an unknown profile)
  3    unauthenticated or forbidden (no credential, or it is refused)
  4    not found
  5    conflict (CONFLICT, IDEMPOTENCY_CONFLICT)
  6    rate limited (the caller, after the retries)
  7    unavailable (Keyplane unreachable, or UNAVAILABLE after the retries)
  8    keys verify: the verified key is not valid
  9    keys verify: the verified key is rate limited or out of quota
  130  interrupted (Ctrl-C)"
    };
}

/// The table the client commands' `--help` prints.
pub const TABLE: &str = concat!("Exit codes:\n", exit_code_lines!());

/// Why a client command failed.
#[derive(Debug)]
pub enum Failure {
    /// The command line cannot be run as given.
    Usage(String),
    /// No credential to act with.
    NoCredentials(String),
    /// A call to Keyplane failed.
    Client(Error),
    /// Something on this machine failed (the config file, reading stdin).
    Local(String),
    /// Already reported on stdout/stderr; only the exit code is left.
    Reported(u8),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Self::Client(err)
    }
}

impl Failure {
    pub fn code(&self) -> u8 {
        match self {
            Self::Usage(_) => USAGE,
            Self::NoCredentials(_) => AUTH,
            Self::Client(err) => of_client(err),
            Self::Local(_) => FAILURE,
            Self::Reported(code) => *code,
        }
    }
}

/// The exit code of a failed call.
pub fn of_client(err: &Error) -> u8 {
    match err {
        Error::Api(refused) => of_code(&refused.code),
        Error::Transport(_) => UNAVAILABLE,
        Error::InvalidInput(_) => USAGE,
        Error::Decode(_) | Error::SecretKept(_) => FAILURE,
    }
}

fn of_code(code: &ErrorCode) -> u8 {
    match code {
        ErrorCode::Unauthenticated | ErrorCode::Forbidden => AUTH,
        ErrorCode::NotFound => NOT_FOUND,
        ErrorCode::Conflict | ErrorCode::IdempotencyConflict => CONFLICT,
        ErrorCode::RateLimited => RATE_LIMITED,
        ErrorCode::Unavailable => UNAVAILABLE,
        ErrorCode::BadUserInput
        | ErrorCode::BadRequest
        | ErrorCode::PlanUpgradeRequired
        | ErrorCode::InternalServerError
        | ErrorCode::Other(_) => FAILURE,
    }
}

/// Prints `failure` on stderr (the server's code, message and request id; never a secret:
/// no error of the client crate or of this module holds one) and answers the exit code.
pub fn report(out: &Out, failure: &Failure) -> ExitCode {
    match failure {
        Failure::Usage(message) | Failure::NoCredentials(message) | Failure::Local(message) => {
            out.error(message);
        }
        Failure::Client(Error::Api(refused)) => {
            out.error(&super::output::printable(&refused.to_string()));
            if let Some(wait) = refused.retry_after {
                out.note(&format!("Keyplane asks to retry in {} s", wait.as_secs()));
            }
        }
        Failure::Client(err @ Error::Transport(_)) => {
            // reqwest's own message names the URL; its sources say what failed (the first
            // source is that reqwest error itself, already in the message).
            let mut message = err.to_string();
            let mut source = std::error::Error::source(err).and_then(|e| e.source());
            while let Some(cause) = source {
                let text = cause.to_string();
                if !message.ends_with(&text) {
                    message.push_str(": ");
                    message.push_str(&text);
                }
                source = cause.source();
            }
            out.error(&message);
        }
        Failure::Client(err) => out.error(&err.to_string()),
        Failure::Reported(_) => {}
    }
    ExitCode::from(failure.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_server_code_has_its_exit_code() {
        let cases = [
            (ErrorCode::Unauthenticated, AUTH),
            (ErrorCode::Forbidden, AUTH),
            (ErrorCode::NotFound, NOT_FOUND),
            (ErrorCode::Conflict, CONFLICT),
            (ErrorCode::IdempotencyConflict, CONFLICT),
            (ErrorCode::RateLimited, RATE_LIMITED),
            (ErrorCode::Unavailable, UNAVAILABLE),
            (ErrorCode::BadUserInput, FAILURE),
            (ErrorCode::InternalServerError, FAILURE),
            (ErrorCode::Other("NEW".into()), FAILURE),
        ];
        for (code, exit) in cases {
            assert_eq!(of_code(&code), exit, "{code}");
        }
        assert_eq!(of_client(&Error::InvalidInput("..".into())), USAGE);
    }
}
