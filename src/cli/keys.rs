//! `keyplane keys …`: the key lifecycle over `/api/v1/api-keys`. Listing and reading here;
//! making and changing keys in `keys/change`, the lifecycle actions and verification in
//! `keys/lifecycle`.

mod change;
mod lifecycle;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use keyplane_client::{
    ApiKeyFilter, ApiKeyKind, ApiKeyStatus, ApiKeyType, Client, Cursor, PageRequest,
};

use super::exit::Failure;
use super::output::{self, Out};
use super::{ClientArgs, connect, values};

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the environment's keys, newest first.
    #[command(after_help = "Examples:
  keyplane keys list --status ACTIVE,EXPIRING_SOON --type SCOPED
  keyplane keys list --name billing --output json
  keyplane keys list --all --output json | jq -r .id     # every page, one key per line")]
    List(ListArgs),
    /// Show one key (never its secret).
    #[command(after_help = "Examples:
  keyplane keys get 01890a5d-ac96-774b-bcce-b302099a8057
  keyplane keys get \"$KEY_ID\" --output json")]
    Get {
        /// The key's id.
        id: String,
    },
    /// Create a scoped key; its secret is printed on stdout, this once.
    #[command(after_help = "Examples:
  keyplane keys create --name billing --scopes customers:read,subscriptions:read --expires-in 90d
  keyplane keys create --name ci --preset READ_ONLY --rate-limit 100/1m --quota 10000/monthly \\
      --metadata team=payments --external-id acct_42
  SECRET=$(keyplane keys create --name deploy --scopes customers:read)   # stdout holds only the secret")]
    Create(change::CreateArgs),
    /// Change a key's settings, scopes or expiry, all in one transaction.
    #[command(after_help = "Examples:
  keyplane keys update \"$KEY_ID\" --name billing-v2 --scopes customers:read,subscriptions:read
  keyplane keys update \"$KEY_ID\" --clear-rate-limit --allowed-ips 10.0.0.0/8,192.0.2.7")]
    Update(change::UpdateArgs),
    /// Rotate a key: a new key and secret (printed on stdout, once); the old secret keeps
    /// working for the grace period.
    #[command(after_help = "Examples:
  NEW_SECRET=$(keyplane keys rotate \"$KEY_ID\" --grace 1d)
  keyplane keys rotate \"$KEY_ID\" --grace 1h --idempotency-key \"deploy-$CI_PIPELINE_ID-rotate\" --output json")]
    Rotate(lifecycle::RotateArgs),
    /// Move the expiry of a key that has one.
    #[command(after_help = "Examples:
  keyplane keys expire \"$KEY_ID\" --in 30d
  keyplane keys expire \"$KEY_ID\" --at 2027-01-31T00:00:00Z")]
    Expire(lifecycle::ExpireArgs),
    /// Revoke keys at once and for good: one, several by id, or all a filter selects.
    #[command(after_help = "Examples:
  keyplane keys revoke \"$OLD_KEY_ID\"
  keyplane keys revoke 01890a5d-… 01890a5e-…                 # several, in one transaction
  keyplane keys revoke --filter external-id=acct_42 --filter status=ACTIVE,DISABLED")]
    Revoke(lifecycle::RevokeArgs),
    /// Switch a key off until it is enabled again.
    #[command(after_help = "Example:
  keyplane keys disable \"$KEY_ID\" --reason \"suspected leak, ticket 1234\"")]
    Disable(lifecycle::DisableArgs),
    /// Switch a disabled key back on.
    #[command(after_help = "Example:
  keyplane keys enable \"$KEY_ID\"")]
    Enable {
        /// The key's id.
        id: String,
    },
    /// Ask whether a key is valid (and holds a permission). The key to verify is read from
    /// stdin or --secret-file, never from an argument (shell history, `ps`); it exits 0 when
    /// valid, 8 when the key is not valid, 9 when it is rate limited or out of quota (3 and 6 are the
    /// asking credential refused or rate limited).
    #[command(after_help = "Examples:
  keyplane keys verify --permission customers:read < new-secret.txt
  printf '%s' \"$NEW_SECRET\" | keyplane keys verify
  keyplane keys verify --secret-file ./secret --output json

The credential that asks (KEYPLANE_API_KEY, …) needs api_keys:read.")]
    Verify(lifecycle::VerifyArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only keys with these statuses (comma-separated): ACTIVE, EXPIRING_SOON, EXPIRED,
    /// REVOKED, DISABLED.
    #[arg(long, value_delimiter = ',')]
    status: Vec<ApiKeyStatus>,
    /// Only keys of these types: FULL_ACCESS, PUBLISHABLE, SCOPED, INTEGRATION.
    #[arg(long = "type", value_delimiter = ',')]
    key_type: Vec<ApiKeyType>,
    /// Only keys of these kinds: DEFAULT, SCOPED.
    #[arg(long, value_delimiter = ',')]
    kind: Vec<ApiKeyKind>,
    /// Only keys whose name holds this text (any case).
    #[arg(long)]
    name: Option<String>,
    /// Only the keys with this external id.
    #[arg(long)]
    external_id: Option<String>,
    /// Only keys whose metadata holds this string: KEY=VALUE.
    #[arg(long, value_parser = values::pair)]
    metadata: Option<(String, String)>,
    /// Only keys created before this time (RFC 3339).
    #[arg(long, value_parser = values::instant)]
    created_before: Option<DateTime<Utc>>,
    /// Only keys created after this time (RFC 3339).
    #[arg(long, value_parser = values::instant)]
    created_after: Option<DateTime<Utc>>,
    /// Keys per page (1 to 100; the server's default is 20).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(PageRequest::MAX_LIMIT)))]
    limit: Option<u32>,
    /// The page after this cursor (a previous list's `next_cursor`).
    #[arg(long, value_name = "CURSOR")]
    starting_after: Option<String>,
    /// Follow every page; with --output json, one key per line (NDJSON).
    #[arg(long)]
    all: bool,
}

pub async fn run(args: KeysArgs, out: &Out) -> Result<(), Failure> {
    if let KeysCommand::Verify(verify) = &args.command {
        // stdin carries one secret: the key to verify, or the credential.
        lifecycle::check_stdin(verify, &args.client)?;
    }
    let client = connect(&args.client, out)?;
    match args.command {
        KeysCommand::List(list_args) => list(list_args, &client, out).await,
        KeysCommand::Get { id } => output::key(out, &client.get_api_key(&id).await?),
        KeysCommand::Create(create) => change::create(create, &client, out).await,
        KeysCommand::Update(update) => change::update(update, &client, out).await,
        KeysCommand::Rotate(rotate) => lifecycle::rotate(rotate, &client, out).await,
        KeysCommand::Expire(expire) => lifecycle::expire(expire, &client, out).await,
        KeysCommand::Revoke(revoke) => lifecycle::revoke(revoke, &client, out).await,
        KeysCommand::Disable(disable) => lifecycle::disable(disable, &client, out).await,
        KeysCommand::Enable { id } => {
            let key = client.enable_api_key(&id).await?;
            output::key(out, &key)?;
            out.done(&format!("enabled key {}", key.id));
            Ok(())
        }
        KeysCommand::Verify(verify) => lifecycle::verify(verify, &client, out).await,
    }
}

async fn list(args: ListArgs, client: &Client, out: &Out) -> Result<(), Failure> {
    let filter = ApiKeyFilter {
        kinds: args.kind,
        types: args.key_type,
        statuses: args.status,
        name: args.name,
        external_id: args.external_id,
        metadata: args.metadata,
        created_before: args.created_before,
        created_after: args.created_after,
        ..ApiKeyFilter::default()
    };
    let first = PageRequest {
        limit: args.limit.or(args.all.then_some(PageRequest::MAX_LIMIT)),
        cursor: args.starting_after.map(Cursor::StartingAfter),
    };
    if args.all {
        return out
            .pages(
                client.api_key_pages(&filter, first),
                output::keys_table,
                "no keys",
            )
            .await;
    }
    let page = client.list_api_keys(&filter, &first).await?;
    if out.json() {
        out.value(&page.data)?;
    } else {
        print_keys(out, &page.data)?;
    }
    if let Some(cursor) = page.next_cursor.filter(|_| page.has_more) {
        out.note(&format!(
            "more keys: add --all, or --starting-after {cursor} for the next page"
        ));
    }
    Ok(())
}

fn print_keys(out: &Out, keys: &[keyplane_client::ApiKey]) -> Result<(), Failure> {
    if keys.is_empty() {
        out.note("no keys");
        Ok(())
    } else {
        out.table(&output::keys_table(keys, true))
    }
}
