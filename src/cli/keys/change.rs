//! `keys create` and `keys update`: flags into `CreateApiKey` and `UpdateApiKey`.

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args};
use keyplane_client::{Client, CreateApiKey, Patch, Quota, RateLimit, ScopePreset, UpdateApiKey};
use serde_json::json;

use crate::cli::exit::Failure;
use crate::cli::output::{self, Out};
use crate::cli::values;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The key's name (shown in lists and the audit trail).
    #[arg(long)]
    name: String,
    /// What the key is for.
    #[arg(long)]
    description: Option<String>,
    /// The key's scopes, comma-separated (`customers:read,subscriptions:write`).
    #[arg(long, value_delimiter = ',', required_unless_present = "preset")]
    scopes: Vec<String>,
    /// A preset instead of scopes: FULL_ACCESS, READ_ONLY, CUSTOMERS_WRITE,
    /// SUBSCRIPTIONS_WRITE, COUPONS_WRITE, API_KEYS_READ_WRITE, EVENT_QUEUE_READ.
    #[arg(long, conflicts_with = "scopes")]
    preset: Option<ScopePreset>,
    /// Expires this long from now: 30s, 15m, 12h, 90d, 2w.
    #[arg(long, value_parser = values::duration, conflicts_with = "expires_at")]
    expires_in: Option<chrono::Duration>,
    /// Expires at this time (RFC 3339).
    #[arg(long, value_parser = values::instant)]
    expires_at: Option<DateTime<Utc>>,
    /// REQUESTS/PERIOD, such as 100/1m.
    #[arg(long, value_parser = values::rate_limit)]
    rate_limit: Option<RateLimit>,
    /// LIMIT/REFILL, such as 10000/monthly (daily, monthly or never).
    #[arg(long, value_parser = values::quota)]
    quota: Option<Quota>,
    /// Addresses or CIDR ranges the key may be used from, comma-separated.
    #[arg(long, value_delimiter = ',')]
    allowed_ips: Vec<String>,
    /// The customers the key may act for, comma-separated.
    #[arg(long, value_delimiter = ',')]
    customer_ids: Vec<String>,
    /// One metadata entry, KEY=VALUE (repeat for more; the values are strings).
    #[arg(long, value_parser = values::pair)]
    metadata: Vec<(String, String)>,
    /// The whole metadata as a JSON object, for values other than strings.
    #[arg(long, value_parser = values::json_object, conflicts_with = "metadata")]
    metadata_json: Option<serde_json::Value>,
    /// Your own id for the key (an account, a customer).
    #[arg(long)]
    external_id: Option<String>,
}

fn non_empty<T>(values: Vec<T>) -> Option<Vec<T>> {
    (!values.is_empty()).then_some(values)
}

pub async fn create(args: CreateArgs, client: &Client, out: &Out) -> Result<(), Failure> {
    let metadata = args
        .metadata_json
        .or_else(|| (!args.metadata.is_empty()).then(|| values::metadata(&args.metadata)));
    let key = CreateApiKey {
        name: args.name,
        description: args.description,
        scopes: non_empty(args.scopes),
        preset: args.preset,
        expires_at: args
            .expires_at
            .or(args.expires_in.map(values::from_now).transpose()?),
        customer_ids: non_empty(args.customer_ids),
        rate_limit: args.rate_limit,
        metadata,
        external_id: args.external_id,
        allowed_ips: non_empty(args.allowed_ips),
        quota: args.quota,
    };
    let created = match client.create_api_key(&key).await {
        Ok(created) => created,
        Err(keyplane_client::Error::SecretKept(kept)) => {
            return Err(output::secret_kept(out, client, *kept, "created"));
        }
        Err(err) => return Err(err.into()),
    };
    let printed = if out.json() {
        out.value(&json!({ "apiKey": created.api_key, "secret": created.secret }))
    } else {
        out.secret(&created.secret)
    };
    if let Err(failure) = printed {
        let what = format!("created key {}", created.api_key.id);
        return Err(out.secret_lost(failure, &what, client.idempotency_key()));
    }
    out.done(&format!(
        "created key {} ({}); its secret was printed on stdout, this once",
        created.api_key.id, created.api_key.name
    ));
    Ok(())
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("change").required(true).multiple(true)))]
pub struct UpdateArgs {
    /// The key's id.
    id: String,
    /// A new name.
    #[arg(long, group = "change")]
    name: Option<String>,
    /// A new description.
    #[arg(long, group = "change")]
    description: Option<String>,
    #[arg(long, group = "change", conflicts_with = "description")]
    clear_description: bool,
    /// New scopes, comma-separated: the key is re-scoped.
    #[arg(long, group = "change", value_delimiter = ',')]
    scopes: Vec<String>,
    /// A preset instead of scopes.
    #[arg(long, group = "change", conflicts_with = "scopes")]
    preset: Option<ScopePreset>,
    /// A new expiry, this long from now (the key must have one).
    #[arg(long, group = "change", value_parser = values::duration, conflicts_with = "expires_at")]
    expires_in: Option<chrono::Duration>,
    /// A new expiry (RFC 3339; the key must have one).
    #[arg(long, group = "change", value_parser = values::instant)]
    expires_at: Option<DateTime<Utc>>,
    /// REQUESTS/PERIOD, such as 100/1m.
    #[arg(long, group = "change", value_parser = values::rate_limit)]
    rate_limit: Option<RateLimit>,
    #[arg(long, group = "change", conflicts_with = "rate_limit")]
    clear_rate_limit: bool,
    /// LIMIT/REFILL, such as 10000/monthly.
    #[arg(long, group = "change", value_parser = values::quota)]
    quota: Option<Quota>,
    #[arg(long, group = "change", conflicts_with = "quota")]
    clear_quota: bool,
    /// Addresses or CIDR ranges, comma-separated; they replace the list.
    #[arg(long, group = "change", value_delimiter = ',')]
    allowed_ips: Vec<String>,
    /// Any address again.
    #[arg(long, group = "change", conflicts_with = "allowed_ips")]
    clear_allowed_ips: bool,
    /// Customer ids, comma-separated; they replace the list.
    #[arg(long, group = "change", value_delimiter = ',')]
    customer_ids: Vec<String>,
    #[arg(long, group = "change", conflicts_with = "customer_ids")]
    clear_customer_ids: bool,
    /// KEY=VALUE (repeat for more): the entries replace the whole metadata.
    #[arg(long, group = "change", value_parser = values::pair)]
    metadata: Vec<(String, String)>,
    /// The whole metadata as a JSON object.
    #[arg(long, group = "change", value_parser = values::json_object, conflicts_with = "metadata")]
    metadata_json: Option<serde_json::Value>,
    #[arg(long, group = "change", conflicts_with_all = ["metadata", "metadata_json"])]
    clear_metadata: bool,
    /// A new external id.
    #[arg(long, group = "change")]
    external_id: Option<String>,
    #[arg(long, group = "change", conflicts_with = "external_id")]
    clear_external_id: bool,
}

/// A field set, cleared, or left as it is.
fn patch<T>(set: Option<T>, clear: bool) -> Patch<T> {
    match (set, clear) {
        (Some(value), _) => Patch::Set(value),
        (None, true) => Patch::Clear,
        (None, false) => Patch::Keep,
    }
}

pub async fn update(args: UpdateArgs, client: &Client, out: &Out) -> Result<(), Failure> {
    let metadata = args
        .metadata_json
        .or_else(|| (!args.metadata.is_empty()).then(|| values::metadata(&args.metadata)));
    let update = UpdateApiKey {
        name: args.name,
        description: patch(args.description, args.clear_description),
        customer_ids: patch(non_empty(args.customer_ids), args.clear_customer_ids),
        rate_limit: patch(args.rate_limit, args.clear_rate_limit),
        metadata: patch(metadata, args.clear_metadata),
        external_id: patch(args.external_id, args.clear_external_id),
        allowed_ips: patch(non_empty(args.allowed_ips), args.clear_allowed_ips),
        quota: patch(args.quota, args.clear_quota),
        scopes: non_empty(args.scopes),
        preset: args.preset,
        expires_at: args
            .expires_at
            .or(args.expires_in.map(values::from_now).transpose()?),
    };
    let key = client.update_api_key(&args.id, &update).await?;
    output::key(out, &key)?;
    out.done(&format!("updated key {}", key.id));
    Ok(())
}
