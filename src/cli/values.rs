//! Flag values as a person types them (`90d`, `100/1m`, `10000/monthly`, `plan=pro`), turned
//! into what the REST API takes. Only the spelling is checked here: whether a value is allowed
//! (a scope, an expiry at most a year out, a limit) is the server's to say.

use chrono::{DateTime, Utc};
use keyplane_client::{GracePeriod, Quota, QuotaRefill, RateLimit};

/// A span of time: a whole number and a unit, `s`, `m`, `h`, `d` or `w` (`90d`, `12h`).
pub fn duration(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} has no unit: write it as 30s, 15m, 12h, 90d or 2w"))?;
    let (number, unit) = text.split_at(split);
    let number = positive(number)
        .ok_or_else(|| format!("{text:?} does not start with a whole number above 0"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("{text:?}: the unit is one of s, m, h, d, w")),
    };
    number
        .checked_mul(seconds)
        .and_then(chrono::Duration::try_seconds)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// Digits only (no sign, no spaces) making a number above 0: a count or a length of time.
fn positive(text: &str) -> Option<i64> {
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())
        .flatten()
        .filter(|n: &i64| *n > 0)
}

/// `span` from now, or a usage error when that is past the last time there is
/// (`--expires-in 1000000000d`).
pub fn from_now(span: chrono::Duration) -> Result<DateTime<Utc>, crate::cli::exit::Failure> {
    Utc::now().checked_add_signed(span).ok_or_else(|| {
        crate::cli::exit::Failure::Usage(format!(
            "{} days from now is past the last time there is",
            span.num_days()
        ))
    })
}

/// An instant: RFC 3339 (`2026-12-31T23:59:59Z`).
pub fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is not an RFC 3339 time such as 2026-12-31T23:59:59Z"))
}

/// An instant, or a span before now (`24h` for a day ago), as `--from` takes it.
pub fn instant_or_ago(text: &str) -> Result<DateTime<Utc>, String> {
    if text.trim().ends_with(|c: char| c.is_ascii_alphabetic()) && !text.contains('T') {
        return duration(text).and_then(|ago| {
            Utc::now()
                .checked_sub_signed(ago)
                .ok_or_else(|| format!("{text:?} reaches before any time there is"))
        });
    }
    instant(text)
}

/// `REQUESTS/PERIOD`: `100/1m`, `10/1s`, `5000/1h`.
pub fn rate_limit(text: &str) -> Result<RateLimit, String> {
    let (requests, period) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not REQUESTS/PERIOD, such as 100/1m"))?;
    let requests = positive(requests.trim())
        .ok_or_else(|| format!("{text:?}: the requests are a whole number above 0"))?;
    Ok(RateLimit {
        requests,
        period_seconds: duration(period)?.num_seconds(),
        mode: None,
    })
}

/// `LIMIT/REFILL`: `10000/monthly`, `500/daily`, `100/never`.
pub fn quota(text: &str) -> Result<Quota, String> {
    let (limit, refill) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not LIMIT/REFILL, such as 10000/monthly"))?;
    Ok(Quota {
        limit: positive(limit.trim())
            .ok_or_else(|| format!("{text:?}: the limit is a whole number above 0"))?,
        refill: refill
            .parse::<QuotaRefill>()
            .map_err(|_| format!("{text:?}: the refill is daily, monthly or never"))?,
    })
}

/// `KEY=VALUE`, one metadata entry (a string value).
pub fn pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))
}

/// A JSON object, as `--metadata-json` takes it.
pub fn json_object(text: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        _ => Err("not a JSON object".to_owned()),
    }
}

/// The metadata object of repeated `--metadata KEY=VALUE` flags.
pub fn metadata(pairs: &[(String, String)]) -> serde_json::Value {
    serde_json::Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

/// A grace period: `now`, `1h`, `1d`, `3d`, `7d` (or the API's `ONE_DAY`).
pub fn grace(text: &str) -> Result<GracePeriod, String> {
    match text.trim() {
        "now" | "0" | "0s" => Ok(GracePeriod::Now),
        "1h" => Ok(GracePeriod::OneHour),
        "1d" | "24h" => Ok(GracePeriod::OneDay),
        "3d" => Ok(GracePeriod::ThreeDays),
        "7d" | "1w" => Ok(GracePeriod::SevenDays),
        other => other
            .parse::<GracePeriod>()
            .map_err(|_| format!("{text:?}: the grace period is now, 1h, 1d, 3d or 7d")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_number_and_a_unit() {
        let cases = [
            ("90d", Some(90 * 86_400)),
            ("12h", Some(43_200)),
            ("1m", Some(60)),
            ("30s", Some(30)),
            ("2w", Some(14 * 86_400)),
            ("90", None),
            ("d", None),
            ("1y", None),
            ("-1d", None),
            ("0d", None),
            ("+1d", None),
            ("99999999999999999d", None),
        ];
        for (text, seconds) in cases {
            assert_eq!(
                duration(text).ok().map(|d| d.num_seconds()),
                seconds,
                "{text}"
            );
        }
    }

    #[test]
    fn rate_limits_and_quotas_read_as_the_api_takes_them() {
        assert_eq!(
            rate_limit("100/1m").unwrap(),
            RateLimit {
                requests: 100,
                period_seconds: 60,
                mode: None
            }
        );
        assert!(rate_limit("100").is_err());
        for refused in ["many/1m", "0/1m", "-5/1m", "100/0s", "+5/1m"] {
            assert!(rate_limit(refused).is_err(), "{refused}");
        }
        assert_eq!(
            quota("10000/monthly").unwrap(),
            Quota {
                limit: 10_000,
                refill: QuotaRefill::Monthly
            }
        );
        for refused in ["10/yearly", "-1/monthly", "0/daily"] {
            assert!(quota(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn grace_periods_have_short_names() {
        assert_eq!(grace("1d").unwrap(), GracePeriod::OneDay);
        assert_eq!(grace("now").unwrap(), GracePeriod::Now);
        assert_eq!(grace("SEVEN_DAYS").unwrap(), GracePeriod::SevenDays);
        assert!(grace("2d").is_err());
    }

    #[test]
    fn metadata_pairs_and_instants() {
        assert_eq!(pair("plan=pro=x").unwrap(), ("plan".into(), "pro=x".into()));
        assert!(pair("=x").is_err());
        assert!(pair("plan").is_err());
        assert_eq!(
            metadata(&[("plan".into(), "pro".into())]),
            serde_json::json!({ "plan": "pro" })
        );
        assert!(json_object("[1]").is_err());
        assert!(instant("2026-12-31T23:59:59Z").is_ok());
        assert!(instant("tomorrow").is_err());
        let ago = instant_or_ago("1h").unwrap();
        assert!(Utc::now() - ago >= chrono::Duration::minutes(59));
        assert!(instant_or_ago("100000000000d").is_err());
        assert!(from_now(chrono::Duration::days(1_000_000_000)).is_err());
    }
}
