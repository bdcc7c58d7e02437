//! `keys rotate`, `expire`, `revoke` (one, several, or by filter), `disable` and `verify`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args};
use keyplane_client::{
    BulkFilter, BulkRevoke, Client, GracePeriod, RotateApiKey, VerificationCode, VerifyRequest,
};
use serde_json::json;

use crate::cli::exit::{self, Failure};
use crate::cli::output::{self, Out};
use crate::cli::{ClientArgs, read_secret_file, read_stdin, values};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("until").required(true)))]
pub struct RotateArgs {
    /// The key's id.
    id: String,
    /// How long the old secret keeps working: now, 1h, 1d, 3d or 7d.
    #[arg(long, group = "until", value_parser = values::grace)]
    grace: Option<GracePeriod>,
    /// Or the time the old secret stops working (RFC 3339).
    #[arg(long, group = "until", value_parser = values::instant)]
    grace_until: Option<DateTime<Utc>>,
}

pub async fn rotate(args: RotateArgs, client: &Client, out: &Out) -> Result<(), Failure> {
    let rotation = match (args.grace, args.grace_until) {
        (Some(grace), _) => RotateApiKey::GracePeriod(grace),
        (None, Some(at)) => RotateApiKey::ExpiresAt(at),
        (None, None) => unreachable!("clap requires one of --grace and --grace-until"),
    };
    let rotated = match client.rotate_api_key(&args.id, &rotation).await {
        Ok(rotated) => rotated,
        Err(keyplane_client::Error::SecretKept(kept)) => {
            return Err(output::secret_kept(out, client, *kept, "rotated into"));
        }
        Err(err) => return Err(err.into()),
    };
    let printed = if out.json() {
        out.value(&json!({
            "apiKey": rotated.api_key,
            "secret": rotated.secret,
            "previousKey": rotated.previous_key,
        }))
    } else {
        out.secret(&rotated.secret)
    };
    if let Err(failure) = printed {
        let what = format!(
            "rotated key {} into {}",
            rotated.previous_key.id, rotated.api_key.id
        );
        return Err(out.secret_lost(failure, &what, client.idempotency_key()));
    }
    out.done(&format!(
        "rotated key {} into {}; the new secret was printed on stdout, this once; the old one works until {}",
        rotated.previous_key.id,
        rotated.api_key.id,
        output::instant(rotated.previous_key.expires_at),
    ));
    Ok(())
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("when").required(true)))]
pub struct ExpireArgs {
    /// The key's id.
    id: String,
    /// The new expiry (RFC 3339).
    #[arg(long, group = "when", value_parser = values::instant)]
    at: Option<DateTime<Utc>>,
    /// The new expiry, this long from now: 12h, 30d, 2w.
    #[arg(long = "in", group = "when", value_parser = values::duration)]
    within: Option<chrono::Duration>,
}

pub async fn expire(args: ExpireArgs, client: &Client, out: &Out) -> Result<(), Failure> {
    let at = match (args.at, args.within) {
        (Some(at), _) => at,
        (None, Some(within)) => values::from_now(within)?,
        (None, None) => unreachable!("clap requires one of --at and --in"),
    };
    let key = client.change_expiration(&args.id, at).await?;
    output::key(out, &key)?;
    out.done(&format!(
        "key {} now expires at {}",
        key.id,
        output::instant(key.expires_at)
    ));
    Ok(())
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true)))]
pub struct RevokeArgs {
    /// The keys' ids: one is revoked alone, several in one transaction.
    #[arg(group = "which")]
    ids: Vec<String>,
    /// Revoke every key (at most 1,000) this filter selects, in one transaction: NAME=VALUE,
    /// repeated to combine. Names: name, external-id, status, type, kind (comma-separated
    /// values), metadata.KEY, created-before.
    #[arg(long, group = "which", value_parser = values::pair)]
    filter: Vec<(String, String)>,
}

fn bulk_filter(pairs: Vec<(String, String)>) -> Result<BulkFilter, Failure> {
    let mut filter = BulkFilter::default();
    let usage = |message: String| Failure::Usage(message);
    fn list<T: std::str::FromStr>(value: &str) -> Result<Vec<T>, Failure>
    where
        T::Err: std::fmt::Display,
    {
        value
            .split(',')
            .map(|v| v.parse::<T>().map_err(|e| Failure::Usage(e.to_string())))
            .collect()
    }
    for (name, value) in pairs {
        // An empty value (`name="$UNSET"`) would drop a criterion and widen what is revoked.
        if value.trim().is_empty() {
            return Err(usage(format!(
                "--filter {name}= has no value: a bulk revocation's filter names what it matches"
            )));
        }
        match name.as_str() {
            "name" => filter.name = Some(value),
            "external-id" => filter.external_id = Some(value),
            "status" => filter.status = list(&value)?,
            "type" => filter.key_type = list(&value)?,
            "kind" => filter.kind = list(&value)?,
            "created-before" => {
                filter.created_before = Some(values::instant(&value).map_err(usage)?);
            }
            other => match other.strip_prefix("metadata.") {
                Some(key) if !key.is_empty() => filter.metadata = Some((key.to_owned(), value)),
                _ => {
                    return Err(usage(format!(
                        "--filter {other}=…: the names are name, external-id, status, type, kind, metadata.KEY, created-before"
                    )));
                }
            },
        }
    }
    Ok(filter)
}

pub async fn revoke(args: RevokeArgs, client: &Client, out: &Out) -> Result<(), Failure> {
    let selection = match (args.ids.as_slice(), args.filter.is_empty()) {
        ([id], true) => {
            let key = client.revoke_api_key(id).await?;
            output::key(out, &key)?;
            out.done(&format!("revoked key {}", key.id));
            return Ok(());
        }
        (_, true) => BulkRevoke::Ids(args.ids),
        (_, false) => BulkRevoke::Filter(bulk_filter(args.filter)?),
    };
    let outcome = client.bulk_revoke_api_keys(&selection).await?;
    if out.json() {
        let skipped: Vec<_> = outcome
            .skipped
            .iter()
            .map(|s| json!({ "id": s.id, "code": s.code, "message": s.message }))
            .collect();
        out.value(&json!({ "revoked": outcome.revoked, "skipped": skipped }))?;
    } else if !outcome.revoked.is_empty() {
        out.table(&output::keys_table(&outcome.revoked, true))?;
    }
    out.done(&format!("revoked {} keys", outcome.revoked.len()));
    for skipped in &outcome.skipped {
        out.warn(&output::printable(&format!(
            "skipped {}: {} {}",
            skipped.id, skipped.code, skipped.message
        )));
    }
    if outcome.skipped.is_empty() {
        Ok(())
    } else {
        Err(Failure::Reported(exit::FAILURE))
    }
}

#[derive(Debug, Args)]
pub struct DisableArgs {
    /// The key's id.
    id: String,
    /// Why (1 to 500 characters; kept in the audit trail).
    #[arg(long)]
    reason: String,
}

pub async fn disable(args: DisableArgs, client: &Client, out: &Out) -> Result<(), Failure> {
    let key = client.disable_api_key(&args.id, &args.reason).await?;
    output::key(out, &key)?;
    out.done(&format!("disabled key {}", key.id));
    Ok(())
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A scope the key must hold (`customers:read`).
    #[arg(long)]
    permission: Option<String>,
    /// Read the key to verify from this file (its first line) instead of stdin.
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
    /// The customer the key acts for, for keys held to customers.
    #[arg(long)]
    customer_id: Option<String>,
    /// The address the key was presented from, for keys held to an IP allow-list.
    #[arg(long)]
    ip: Option<std::net::IpAddr>,
}

/// stdin carries at most one secret.
pub fn check_stdin(args: &VerifyArgs, client: &ClientArgs) -> Result<(), Failure> {
    if client.api_key_stdin && args.secret_file.is_none() {
        return Err(Failure::Usage(
            "--api-key-stdin and the key to verify cannot both come from stdin: pass --secret-file, or the API key in a file or KEYPLANE_API_KEY".to_owned(),
        ));
    }
    Ok(())
}

pub async fn verify(args: VerifyArgs, client: &Client, out: &Out) -> Result<(), Failure> {
    let secret = match &args.secret_file {
        Some(path) => read_secret_file(path, &path.display().to_string())?,
        None => read_stdin("the key to verify")?,
    };
    let request = VerifyRequest {
        permission: args.permission,
        customer_id: args.customer_id,
        ip: args.ip,
        ..VerifyRequest::new(secret)
    };
    let answer = client.verify(&request).await?;
    if out.json() {
        out.value(&answer)?;
    } else {
        let mut table = output::table(&["FIELD", "VALUE"]);
        let key = answer.api_key.as_ref();
        let rows = [
            ("valid", answer.valid.to_string()),
            ("code", answer.code.to_string()),
            ("key", key.map_or("-".to_owned(), |k| k.id.clone())),
            ("name", key.map_or("-".to_owned(), |k| k.name.clone())),
            (
                "environment",
                answer.environment.clone().unwrap_or("-".into()),
            ),
            ("scopes", answer.scopes.join(",")),
        ];
        for (field, value) in rows {
            table.add_row(vec![field.to_owned(), value]);
        }
        out.table(&table)?;
    }
    match answer.code {
        VerificationCode::Valid => Ok(()),
        VerificationCode::RateLimited | VerificationCode::QuotaExceeded => {
            out.note(&format!("the key is refused: {}", answer.code));
            Err(Failure::Reported(exit::VERIFIED_KEY_LIMITED))
        }
        code => {
            out.note(&format!("the key is refused: {code}"));
            Err(Failure::Reported(exit::VERIFIED_KEY_REFUSED))
        }
    }
}
