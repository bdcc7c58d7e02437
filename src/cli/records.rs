//! `keyplane audit` (the environment's audit trail, or one key's) and `keyplane usage` (a key's
//! verifications as a series).

use chrono::{DateTime, Utc};
use clap::Args;
use keyplane_client::{
    AuditEvent, AuditEventType, AuditFilter, Cursor, PageRequest, UsageGranularity, UsageQuery,
};

use super::exit::Failure;
use super::output::{self, Out};
use super::{ClientArgs, connect, values};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyplane audit --key \"$KEY_ID\"
  keyplane audit --type KEY_ROTATED,KEY_REVOKED --limit 50 --output json
  keyplane audit --all --output json > trail.ndjson      # every page, one event per line")]
pub struct AuditArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Only the events of this key.
    #[arg(long = "key", value_name = "ID")]
    key_id: Option<String>,
    /// Only events of these types (comma-separated): KEY_CREATED, KEY_ROTATED, KEY_REVOKED, …
    #[arg(long = "type", value_delimiter = ',')]
    types: Vec<AuditEventType>,
    /// Events per page (1 to 100).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(PageRequest::MAX_LIMIT)))]
    limit: Option<u32>,
    /// The page after this cursor (a previous list's `next_cursor`).
    #[arg(long, value_name = "CURSOR")]
    starting_after: Option<String>,
    /// Follow every page; with --output json, one event per line (NDJSON).
    #[arg(long)]
    all: bool,
}

pub async fn audit(args: AuditArgs, out: &Out) -> Result<(), Failure> {
    let client = connect(&args.client, out)?;
    let filter = AuditFilter {
        api_key_id: args.key_id,
        types: args.types,
        subject: None,
    };
    let first = PageRequest {
        limit: args.limit.or(args.all.then_some(PageRequest::MAX_LIMIT)),
        cursor: args.starting_after.map(Cursor::StartingAfter),
    };
    if args.all {
        return out
            .pages(
                client.audit_event_pages(&filter, first),
                events_table,
                "no events",
            )
            .await;
    }
    let page = client.list_audit_events(&filter, &first).await?;
    if out.json() {
        out.value(&page.data)?;
    } else if page.data.is_empty() {
        out.note("no events");
    } else {
        out.table(&events_table(&page.data, true))?;
    }
    if let Some(cursor) = page.next_cursor.filter(|_| page.has_more) {
        out.note(&format!(
            "more events: add --all, or --starting-after {cursor} for the next page"
        ));
    }
    Ok(())
}

fn events_table(events: &[AuditEvent], header: bool) -> comfy_table::Table {
    let names = ["ID", "TYPE", "KEY", "ACTOR", "AT"];
    let mut table = output::table(if header { &names } else { &[] });
    for event in events {
        table.add_row(vec![
            event.id.clone(),
            event.event_type.to_string(),
            event.api_key_id.clone().unwrap_or_else(|| "-".to_owned()),
            format!("{} {}", event.actor.actor_type, event.actor.name),
            output::instant(Some(event.occurred_at)),
        ]);
    }
    table
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyplane usage \"$KEY_ID\" --from 24h --granularity hour
  keyplane usage \"$KEY_ID\" --from 2026-12-01T00:00:00Z --to 2026-12-08T00:00:00Z --granularity day --output json")]
pub struct UsageArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The key's id.
    id: String,
    /// The start: an RFC 3339 time, or a span before now (24h, 7d).
    #[arg(long, value_parser = values::instant_or_ago)]
    from: DateTime<Utc>,
    /// The end, exclusive (RFC 3339); now by default.
    #[arg(long, value_parser = values::instant)]
    to: Option<DateTime<Utc>>,
    /// The width of each point: MINUTE, HOUR or DAY (at most 1,500 points).
    #[arg(long, default_value = "HOUR")]
    granularity: UsageGranularity,
    /// Only the verifications that asked for this permission.
    #[arg(long)]
    permission: Option<String>,
}

pub async fn usage(args: UsageArgs, out: &Out) -> Result<(), Failure> {
    let client = connect(&args.client, out)?;
    let query = UsageQuery {
        from: args.from,
        to: args.to.unwrap_or_else(Utc::now),
        granularity: args.granularity,
        permission: args.permission,
    };
    let points = client.api_key_usage(&args.id, &query).await?;
    if out.json() {
        return out.value(&points);
    }
    let mut table = output::table(&["AT", "TOTAL", "BY OUTCOME"]);
    for point in &points {
        let outcomes: Vec<String> = point
            .by_outcome
            .iter()
            .map(|o| format!("{}={}", o.code, o.count))
            .collect();
        table.add_row(vec![
            output::instant(Some(point.at)),
            point.total.to_string(),
            outcomes.join(" "),
        ]);
    }
    out.table(&table)
}
