//! Prometheus metrics at `GET /metrics`: requests and their latency by operation and outcome,
//! key-cache hits and misses, database statements issued and failed, the write-behind queue depth, and,
//! with Redis, its call latency, whether it answers and the rate-limit decisions made without
//! it.
//!
//! Every label value comes from a set fixed when the server starts (the schema's root fields,
//! the error codes), never from a request: a caller cannot add a series.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use keyplane_domain::ErrorCode;
use keyplane_domain::activity::OUTCOME_OK;
use keyplane_service::key_cache::KeyCache;
use keyplane_service::rate_limit::RateLimiter;
use keyplane_service::write_behind::WriteBehind;

/// An `operation` label value: shared with [`Operations`], so counting a request allocates
/// nothing.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Operation(Arc<str>);

impl EncodeLabelValue for Operation {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(&self.0)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: Operation,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: Operation,
}

/// The values the `operation` label takes, fixed at start: the root field that ran (one of the
/// schema's Query and Mutation fields; `verifyApiKey` for `/v1/verify` too), `none` when none
/// ran (refused before execution, a document that did not validate, `/auth/login`),
/// `multiple` when several did, and `unknown` for a name the schema lacks (a safeguard).
#[derive(Debug)]
struct Operations {
    fields: HashSet<Arc<str>>,
    none: Arc<str>,
    multiple: Arc<str>,
    unknown: Arc<str>,
}

impl Operations {
    fn new(fields: impl IntoIterator<Item = String>) -> Self {
        Self {
            fields: fields.into_iter().map(Arc::from).collect(),
            none: Arc::from("none"),
            multiple: Arc::from("multiple"),
            unknown: Arc::from("unknown"),
        }
    }

    fn label(&self, ran: &[Cow<'static, str>]) -> Operation {
        let value = match ran {
            [] => &self.none,
            [field] => self.fields.get(field.as_ref()).unwrap_or(&self.unknown),
            _ => &self.multiple,
        };
        Operation(Arc::clone(value))
    }
}

/// The `outcome` label: `OK`, an idempotent replay, one of the error codes, or `unknown`.
fn outcome_label(outcome: &str) -> &'static str {
    // The idempotency module's outcome for a replayed response.
    const REPLAY: &str = "IDEMPOTENT_REPLAY";
    match outcome {
        OUTCOME_OK => OUTCOME_OK,
        REPLAY => REPLAY,
        code => ErrorCode::parse(code).map_or("unknown", ErrorCode::as_str),
    }
}

fn latency_histogram() -> Histogram {
    // 10 µs to about 10 s.
    Histogram::new(exponential_buckets(0.000_01, 2.0, 21))
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    operations: Operations,
    requests: Family<RequestLabels, Counter>,
    latency: Family<OperationLabels, Histogram, fn() -> Histogram>,
}

/// Values other parts keep themselves, read at each scrape.
#[derive(Debug)]
struct Readings {
    cache: Arc<KeyCache>,
    store: keyplane_store::Store,
    write_behind: WriteBehind,
    rate_limiter: Arc<RateLimiter>,
}

impl Readings {
    fn encode_redis(&self, encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use prometheus_client::metrics::MetricType;
        let Some(shared) = self.rate_limiter.shared() else {
            return Ok(());
        };
        let fallbacks = ConstCounter::new(shared.fallbacks());
        fallbacks.encode(encoder.encode_descriptor(
            "keyplane_rate_limit_fallbacks",
            "Rate-limit decisions this replica made alone because Redis did not answer.",
            None,
            fallbacks.metric_type(),
        )?)?;
        let up = ConstGauge::new(i64::from(shared.redis_up()));
        up.encode(encoder.encode_descriptor(
            "keyplane_redis_up",
            "1 while the last call to Redis succeeded, else 0.",
            None,
            up.metric_type(),
        )?)?;
        let (sum, count, buckets) = shared.redis().latency().read();
        encoder
            .encode_descriptor(
                "keyplane_redis_duration_seconds",
                "Latency of calls to Redis, failed ones included.",
                None,
                MetricType::Histogram,
            )?
            .encode_histogram::<prometheus_client::encoding::NoLabelSet>(sum, count, &buckets, None)
    }
}

impl Collector for Readings {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use std::sync::atomic::Ordering::Relaxed;
        let counters = [
            (
                "keyplane_key_cache_hits",
                "Key lookups answered by the cache (known and unknown keys).",
                self.cache.hits.load(Relaxed),
            ),
            (
                "keyplane_key_cache_misses",
                "Key lookups that went to the database.",
                self.cache.misses.load(Relaxed),
            ),
            (
                "keyplane_db_queries",
                "Statements sent to the database.",
                self.store.queries_issued(),
            ),
            (
                "keyplane_db_query_errors",
                "Statements the database answered with an error (a constraint refusal included).",
                self.store.queries_failed(),
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let gauges = [
            (
                "keyplane_write_behind_queue_depth",
                "Activity events waiting to be written.",
                self.write_behind.queue_depth() as i64,
            ),
            (
                "keyplane_key_cache_entries",
                "Keys and unknown hashes in the cache.",
                self.cache.len() as i64,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        self.encode_redis(&mut encoder)
    }
}

/// The GraphQL parse cache's size and hits, read at each scrape.
#[derive(Debug)]
struct ParseCacheReadings(Arc<crate::schema::parse_cache::ParseCache>);

impl Collector for ParseCacheReadings {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use std::sync::atomic::Ordering::Relaxed;
        for (name, help, value) in [
            (
                "keyplane_parse_cache_hits",
                "GraphQL documents found parsed in the cache.",
                self.0.hits.load(Relaxed),
            ),
            (
                "keyplane_parse_cache_misses",
                "GraphQL documents parsed because the cache did not hold them.",
                self.0.misses.load(Relaxed),
            ),
        ] {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let entries = ConstGauge::new(i64::try_from(self.0.len()).unwrap_or(i64::MAX));
        entries.encode(encoder.encode_descriptor(
            "keyplane_parse_cache_entries",
            "GraphQL documents kept parsed.",
            None,
            entries.metric_type(),
        )?)
    }
}

impl Metrics {
    pub fn new(
        cache: Arc<KeyCache>,
        store: keyplane_store::Store,
        write_behind: WriteBehind,
        rate_limiter: Arc<RateLimiter>,
        root_fields: Vec<String>,
    ) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "keyplane_requests",
            "API requests by operation (the root field that ran) and outcome.",
            requests.clone(),
        );
        let latency = Family::<OperationLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "keyplane_request_duration_seconds",
            "API request latency by operation.",
            latency.clone(),
        );
        registry.register_collector(Box::new(Readings {
            cache,
            store,
            write_behind,
            rate_limiter,
        }));
        Self {
            registry,
            operations: Operations::new(root_fields),
            requests,
            latency,
        }
    }

    /// Counts a request by the schema's root fields that ran and its outcome code; anything
    /// outside the fixed label sets counts as `unknown`.
    pub fn observe(&self, ran: &[Cow<'static, str>], outcome: &str, elapsed: Duration) {
        let operation = self.operations.label(ran);
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.clone(),
                outcome: outcome_label(outcome),
            })
            .inc();
        self.latency
            .get_or_create(&OperationLabels { operation })
            .observe(elapsed.as_secs_f64());
    }

    /// Reports the parse cache's size and hits too.
    pub fn watch_parse_cache(&mut self, cache: Arc<crate::schema::parse_cache::ParseCache>) {
        self.registry
            .register_collector(Box::new(ParseCacheReadings(cache)));
    }

    /// The Prometheus text exposition (format 0.0.4, what `/metrics` declares) of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            tracing::error!("could not encode metrics");
        }
        classic_text(&text)
    }
}

/// `openmetrics` (what `prometheus_client` writes) in Prometheus's classic text format: a
/// counter's `# HELP` and `# TYPE` name its samples' `_total` name, as scrapers reading format
/// 0.0.4 and `promtool check metrics` expect (they would see an untyped `…_total` without
/// help), and the OpenMetrics `# EOF` line goes.
fn classic_text(openmetrics: &str) -> String {
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut text = String::with_capacity(openmetrics.len() + 8 * counters.len());
    for line in openmetrics.lines() {
        if line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(line) => text.push_str(&line),
            None => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_come_from_the_schema_or_a_fixed_word() {
        let operations = Operations::new(["viewer".to_owned(), "apiKeys".to_owned()]);
        let label = |ran: &[&'static str]| {
            let ran: Vec<Cow<'static, str>> = ran.iter().map(|f| Cow::Borrowed(*f)).collect();
            operations.label(&ran).0.to_string()
        };
        let cases: [(&[&str], &str); 5] = [
            (&[], "none"),
            (&["viewer"], "viewer"),
            (&["apiKeys"], "apiKeys"),
            (&["viewer", "apiKeys"], "multiple"),
            (&["madeUp"], "unknown"),
        ];
        for (ran, expected) in cases {
            assert_eq!(label(ran), expected, "{ran:?}");
        }
    }

    #[test]
    fn counters_are_named_by_their_samples_and_the_eof_line_goes() {
        let openmetrics = "# HELP a_requests Requests.\n# TYPE a_requests counter\n\
                           a_requests_total{outcome=\"OK\"} 3\n\
                           # HELP a_depth Depth.\n# TYPE a_depth gauge\na_depth 2\n# EOF\n";
        assert_eq!(
            classic_text(openmetrics),
            "# HELP a_requests_total Requests.\n# TYPE a_requests_total counter\n\
             a_requests_total{outcome=\"OK\"} 3\n\
             # HELP a_depth Depth.\n# TYPE a_depth gauge\na_depth 2\n"
        );
    }

    #[test]
    fn outcome_labels_are_codes_or_unknown() {
        let cases = [
            ("OK", "OK"),
            ("FORBIDDEN", "FORBIDDEN"),
            ("GRAPHQL_VALIDATION_FAILED", "GRAPHQL_VALIDATION_FAILED"),
            ("IDEMPOTENT_REPLAY", "IDEMPOTENT_REPLAY"),
            ("MADE_UP", "unknown"),
            ("ok", "unknown"),
        ];
        for (outcome, expected) in cases {
            assert_eq!(outcome_label(outcome), expected);
        }
    }
}
