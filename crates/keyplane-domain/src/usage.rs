//! Verification usage: how many verifications a key (or an environment) answered, by outcome,
//! as a time series. Verifications are counted per minute, not logged one by one; minute
//! counters are kept for days, hourly ones for about a year.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::error::RuleViolation;

/// The width of one point of a usage series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Granularity {
    Minute,
    Hour,
    Day,
}

/// Most points one series may have, so a query's cost is bounded whatever range it names.
pub const MAX_POINTS: i64 = 1_500;

impl Granularity {
    pub fn width(self) -> Duration {
        match self {
            Self::Minute => Duration::minutes(1),
            Self::Hour => Duration::hours(1),
            Self::Day => Duration::days(1),
        }
    }

    /// The start of the bucket `at` falls in (UTC).
    pub fn bucket(self, at: DateTime<Utc>) -> DateTime<Utc> {
        at.duration_trunc(self.width()).unwrap_or(at)
    }

    /// Which stored counters answer a series of this granularity: minutes, or hours (a day is
    /// 24 hourly counters).
    pub fn source(self) -> Granularity {
        match self {
            Self::Minute => Self::Minute,
            Self::Hour | Self::Day => Self::Hour,
        }
    }
}

/// A checked series request: `from` aligned down and `to` up to whole buckets (so the range
/// covers every instant asked for), `from < to`, and no more than [`MAX_POINTS`] points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub granularity: Granularity,
}

impl UsageRange {
    pub fn new(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        granularity: Granularity,
    ) -> Result<Self, RuleViolation> {
        if from >= to {
            return Err(RuleViolation::bad_input("to", "`to` must be after `from`"));
        }
        let from = granularity.bucket(from);
        let to = match granularity.bucket(to) {
            start if start == to => to,
            start => start
                .checked_add_signed(granularity.width())
                .ok_or_else(|| RuleViolation::bad_input("to", "`to` is too far in the future"))?,
        };
        let points = (to - from).num_seconds() / granularity.width().num_seconds();
        if points > MAX_POINTS {
            return Err(RuleViolation::bad_input(
                "from",
                format!(
                    "the range holds {points} points; at most {MAX_POINTS} are allowed: use a coarser granularity"
                ),
            ));
        }
        Ok(Self {
            from,
            to,
            granularity,
        })
    }
}

/// One stored counter row, summed over permissions where the query did not ask for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageCount {
    pub bucket_at: DateTime<Utc>,
    pub outcome: String,
    pub count: u64,
}

/// One point of a series: the verifications answered in `[at, at + width)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsagePoint {
    pub at: DateTime<Utc>,
    pub total: u64,
    /// Count per outcome code (`VALID`, `NOT_FOUND`, …), codes in alphabetical order, zeros
    /// left out.
    pub by_outcome: Vec<(String, u64)>,
}

/// The dense series over `range`: one point per bucket, empty buckets included, so a chart can
/// draw it as it is. Counters outside the range are ignored.
pub fn series(range: UsageRange, counts: &[UsageCount]) -> Vec<UsagePoint> {
    let width = range.granularity.width();
    let mut buckets: BTreeMap<DateTime<Utc>, BTreeMap<&str, u64>> = BTreeMap::new();
    let mut at = range.from;
    while at < range.to {
        buckets.insert(at, BTreeMap::new());
        at += width;
    }
    for count in counts {
        let bucket = range.granularity.bucket(count.bucket_at);
        if let Some(outcomes) = buckets.get_mut(&bucket) {
            *outcomes.entry(count.outcome.as_str()).or_default() += count.count;
        }
    }
    buckets
        .into_iter()
        .map(|(at, outcomes)| UsagePoint {
            at,
            total: outcomes.values().sum(),
            by_outcome: outcomes
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(code, n)| (code.to_owned(), n))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_align_to_buckets_and_are_bounded() {
        let range = UsageRange::new(
            at("2026-11-22T10:15:30Z"),
            at("2026-11-22T12:00:00Z"),
            Granularity::Hour,
        )
        .unwrap();
        assert_eq!(range.from, at("2026-11-22T10:00:00Z"));
        assert_eq!(range.to, at("2026-11-22T12:00:00Z"));
        let partial = UsageRange::new(
            at("2026-11-22T10:15:30Z"),
            at("2026-11-22T10:15:31Z"),
            Granularity::Hour,
        )
        .unwrap();
        assert_eq!(
            partial.to,
            at("2026-11-22T11:00:00Z"),
            "the bucket holding `to` is in"
        );
        let cases = [
            (
                at("2026-11-22T10:00:00Z"),
                at("2026-11-22T09:59:00Z"),
                Granularity::Minute,
            ),
            (
                at("2026-11-22T10:00:00Z"),
                at("2026-11-21T10:00:00Z"),
                Granularity::Day,
            ),
            (
                at("2026-11-01T00:00:00Z"),
                at("2026-11-22T00:00:00Z"),
                Granularity::Minute,
            ),
            (
                at("2020-01-01T00:00:00Z"),
                at("2026-01-01T00:00:00Z"),
                Granularity::Day,
            ),
        ];
        for (from, to, granularity) in cases {
            let err = UsageRange::new(from, to, granularity).unwrap_err();
            assert_eq!(
                err.code,
                crate::ErrorCode::BadUserInput,
                "{from} {to} {granularity:?}"
            );
        }
        assert!(
            UsageRange::new(
                at("2025-11-22T00:00:00Z"),
                at("2026-11-22T00:00:00Z"),
                Granularity::Day
            )
            .is_ok()
        );
    }

    #[test]
    fn series_are_dense_and_sum_counters_into_their_bucket() {
        let range = UsageRange::new(
            at("2026-11-22T00:00:00Z"),
            at("2026-11-25T00:00:00Z"),
            Granularity::Day,
        )
        .unwrap();
        let count = |bucket: &str, outcome: &str, count| UsageCount {
            bucket_at: at(bucket),
            outcome: outcome.to_owned(),
            count,
        };
        let counts = [
            count("2026-11-22T03:00:00Z", "VALID", 5),
            count("2026-11-22T23:00:00Z", "VALID", 2),
            count("2026-11-22T23:00:00Z", "NOT_FOUND", 1),
            count("2026-11-24T00:00:00Z", "RATE_LIMITED", 7),
            count("2026-11-25T00:00:00Z", "VALID", 100),
        ];
        let points = series(range, &counts);
        assert_eq!(points.len(), 3);
        assert_eq!(points[0].total, 8);
        assert_eq!(
            points[0].by_outcome,
            [("NOT_FOUND".to_owned(), 1), ("VALID".to_owned(), 7)]
        );
        assert_eq!((points[1].total, points[1].by_outcome.len()), (0, 0));
        assert_eq!(points[2].at, at("2026-11-24T00:00:00Z"));
        assert_eq!(points[2].total, 7);
    }
}
