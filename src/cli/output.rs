//! Where a client command's output goes. Results (a table, or JSON for scripts) and a created
//! or rotated secret go to stdout; everything meant for a person (confirmations, hints,
//! warnings, errors) goes to stderr. Colours only on a terminal, never with `NO_COLOR`.

use std::io::{IsTerminal, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use clap::ValueEnum;
use comfy_table::Table;
use keyplane_client::{ApiKey, IdempotencyKey, Secret};
use serde::Serialize;

use super::exit::Failure;

/// `--output`: a table for people, or JSON for scripts (one value, a list as one array; with
/// `--all`, one object per line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// The streams of one command.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub format: Format,
    colour: bool,
}

impl Out {
    pub fn new(format: Format) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            format,
            colour: !no_color && std::io::stderr().is_terminal(),
        }
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    fn paint(&self, style: anstyle::Style, text: &str) -> String {
        if self.colour {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    /// A line for a person, on stderr.
    pub fn note(&self, message: &str) {
        eprintln!("{message}");
    }

    /// A change done, on stderr.
    pub fn done(&self, message: &str) {
        let style = anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Green.into()));
        eprintln!("{} {message}", self.paint(style, "✓"));
    }

    pub fn warn(&self, message: &str) {
        let style = anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::AnsiColor::Yellow.into()));
        eprintln!("{} {message}", self.paint(style, "warning:"));
    }

    pub fn error(&self, message: &str) {
        let style = anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::AnsiColor::Red.into()));
        eprintln!("{} {message}", self.paint(style, "error:"));
    }

    /// One JSON value on one line of stdout.
    pub fn value(&self, value: &impl Serialize) -> Result<(), Failure> {
        let text = serde_json::to_string(value).expect("the client's types serialize");
        stdout_line(&text)
    }

    /// The secret of a key just created or rotated: on stdout, alone on its line, once.
    pub fn secret(&self, secret: &Secret) -> Result<(), Failure> {
        stdout_line(secret.expose())
    }

    /// A table, on stdout.
    /// Prints a `--all` listing page by page, so memory holds one page however long the list:
    /// NDJSON (one item a line), or a table per page with the header once. `none` is said on
    /// stderr when the list is empty.
    pub async fn pages<T: Serialize>(
        &self,
        mut pages: keyplane_client::Pages<'_, T>,
        table: impl Fn(&[T], bool) -> Table,
        none: &str,
    ) -> Result<(), Failure> {
        let mut printed = 0_usize;
        while let Some(page) = pages.next().await? {
            if self.json() {
                for item in &page {
                    self.value(item)?;
                }
            } else if !page.is_empty() {
                self.table(&table(&page, printed == 0))?;
            }
            printed += page.len();
        }
        if printed == 0 && !self.json() {
            self.note(none);
        }
        Ok(())
    }

    pub fn table(&self, table: &Table) -> Result<(), Failure> {
        stdout_line(&table.to_string())
    }

    /// After stdout failed to take a new secret: says on stderr which key changed and how to
    /// be answered the same secret again, and answers the failure to exit with.
    pub fn secret_lost(
        &self,
        failure: Failure,
        what: &str,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Failure {
        if let Failure::Local(message) = &failure {
            self.error(message);
        }
        match idempotency_key {
            Some(key) => self.note(&format!(
                "{what}, but its secret could not be written to stdout; run the same command again with --idempotency-key {} within 24 h and Keyplane answers the same secret",
                key.as_str()
            )),
            None => self.note(&format!(
                "{what}, but its secret could not be written to stdout; rotate the key to get a new one"
            )),
        }
        Failure::Reported(super::exit::FAILURE)
    }
}

/// A line on stdout. A write or flush that fails (a closed pipe, a full disk) is a failure:
/// a script must not take a result it never got, nor a secret it never got, for success.
fn stdout_line(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|err| Failure::Local(format!("cannot write to stdout: {err}")))
}

/// A table for people; no header row when `header` is empty (the pages after the first of a
/// list printed page by page).
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(comfy_table::presets::NOTHING);
    if !header.is_empty() {
        table.set_header(header.to_vec());
    }
    table
}

/// Text from the server, fit for a terminal: a control character (an escape sequence that
/// would move the cursor, recolour or retitle the terminal) is shown escaped instead.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub fn instant(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |at| at.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

fn or_dash(text: Option<&str>) -> String {
    text.filter(|t| !t.is_empty()).unwrap_or("-").to_owned()
}

/// Keys as a table: one row each, under a header when `header`.
pub fn keys_table(keys: &[ApiKey], header: bool) -> Table {
    let names = [
        "ID",
        "NAME",
        "TYPE",
        "STATUS",
        "SCOPES",
        "EXPIRES",
        "LAST USED",
    ];
    let mut table = table(if header { &names } else { &[] });
    for key in keys {
        table.add_row(vec![
            key.id.clone(),
            key.name.clone(),
            key.key_type.to_string(),
            key.status.to_string(),
            key.scopes.join(","),
            instant(key.expires_at),
            instant(key.last_used_at),
        ]);
    }
    table
}

/// One key, field by field.
pub fn key_detail(key: &ApiKey) -> Table {
    let mut table = table(&["FIELD", "VALUE"]);
    let json = |value: &Option<serde_json::Value>| {
        value
            .as_ref()
            .map_or_else(|| "-".to_owned(), serde_json::Value::to_string)
    };
    let rows: Vec<(&str, String)> = vec![
        ("id", key.id.clone()),
        ("name", key.name.clone()),
        ("description", or_dash(key.description.as_deref())),
        ("type", key.key_type.to_string()),
        ("status", key.status.to_string()),
        ("scopes", key.scopes.join(",")),
        ("masked key", key.masked_key.clone()),
        ("environment", key.environment_id.clone()),
        ("created", instant(Some(key.created_at))),
        (
            "created by",
            format!("{} {}", key.created_by.actor_type, key.created_by.name),
        ),
        ("expires", instant(key.expires_at)),
        ("last used", instant(key.last_used_at)),
        ("revoked", instant(key.revoked_at)),
        ("disabled", instant(key.disabled_at)),
        ("disabled reason", or_dash(key.disabled_reason.as_deref())),
        (
            "rate limit",
            key.rate_limit.map_or_else(
                || "-".to_owned(),
                |limit| format!("{}/{}s", limit.requests, limit.period_seconds),
            ),
        ),
        (
            "quota",
            key.quota.as_ref().map_or_else(
                || "-".to_owned(),
                |quota| {
                    format!(
                        "{}/{} ({} left)",
                        quota.limit, quota.refill, quota.remaining
                    )
                },
            ),
        ),
        (
            "allowed ips",
            key.allowed_ips
                .as_ref()
                .map_or_else(|| "-".to_owned(), |ips| ips.join(",")),
        ),
        (
            "customer ids",
            key.customer_ids
                .as_ref()
                .map_or_else(|| "-".to_owned(), |ids| ids.join(",")),
        ),
        ("metadata", json(&key.metadata)),
        ("external id", or_dash(key.external_id.as_deref())),
        ("rotated from", or_dash(key.rotated_from_id.as_deref())),
        ("replaced by", or_dash(key.replaced_by_id.as_deref())),
    ];
    for (field, value) in rows {
        table.add_row(vec![field.to_owned(), value]);
    }
    table
}

/// A key as a command that changed it prints it: JSON for scripts, its fields for people.
pub fn key(out: &Out, key: &ApiKey) -> Result<(), Failure> {
    if out.json() {
        out.value(key)
    } else {
        out.table(&key_detail(key))
    }
}

/// A key was made and its secret answered, but the rest of the answer could not be read: the
/// secret still goes to stdout, alone on its line (in JSON, as `{"secret"}` with the key's id
/// when known), and the command fails with exit 1 so that a script looks closer.
pub fn secret_kept(
    out: &Out,
    client: &keyplane_client::Client,
    kept: keyplane_client::SecretKept,
    what: &str,
) -> Failure {
    let id = kept.key_id.as_deref().unwrap_or("(id unreadable)");
    let printed = if out.json() {
        out.value(&serde_json::json!({ "apiKey": { "id": kept.key_id }, "secret": kept.secret }))
    } else {
        out.secret(&kept.secret)
    };
    let what = format!("{what} key {id}");
    if let Err(failure) = printed {
        return out.secret_lost(failure, &what, client.idempotency_key());
    }
    out.error(&format!(
        "{what} and its secret was printed on stdout, but the rest of Keyplane's answer could not be read: {}",
        kept.decode
    ));
    Failure::Reported(super::exit::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn server_text_loses_its_control_characters() {
        assert_eq!(
            printable("bad\u{1b}]0;owned\u{7}\nline"),
            "bad\\u{1b}]0;owned\\u{7}\\nline"
        );
        assert_eq!(printable("plain text, é"), "plain text, é");
    }
}
