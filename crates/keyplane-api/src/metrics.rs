//! Prometheus metrics at `GET /metrics`: requests and their latency by operation and outcome,
//! key-cache hits and misses, database statements issued, the write-behind queue depth, and,
//! with Redis, its call latency, whether it answers and the rate-limit decisions made without
//! it.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use keyplane_service::key_cache::KeyCache;
use keyplane_service::rate_limit::RateLimiter;
use keyplane_service::write_behind::WriteBehind;

/// Labels are `Cow`: `/v1/verify`'s operation and every outcome code are static strings, so
/// counting such a request allocates nothing.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: Cow<'static, str>,
    outcome: Cow<'static, str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: Cow<'static, str>,
}

fn latency_histogram() -> Histogram {
    // 10 µs to about 10 s.
    Histogram::new(exponential_buckets(0.000_01, 2.0, 21))
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
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

impl Metrics {
    pub fn new(
        cache: Arc<KeyCache>,
        store: keyplane_store::Store,
        write_behind: WriteBehind,
        rate_limiter: Arc<RateLimiter>,
    ) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "keyplane_requests",
            "API requests by operation (root fields, or the route) and outcome.",
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
            requests,
            latency,
        }
    }

    pub fn observe(
        &self,
        operation: Cow<'static, str>,
        outcome: Cow<'static, str>,
        elapsed: Duration,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.clone(),
                outcome,
            })
            .inc();
        self.latency
            .get_or_create(&OperationLabels { operation })
            .observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            tracing::error!("could not encode metrics");
        }
        text
    }
}
