//! Content negotiation for `/graphql`, as the GraphQL-over-HTTP specification describes it: the
//! client's `Accept` chooses between `application/graphql-response+json` and the legacy
//! `application/json`, and the choice decides both the `Content-Type` and the status codes of
//! request errors.

use axum::http::{HeaderMap, HeaderValue, header};

/// The media type a `/graphql` response is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResponseFormat {
    /// `application/json`: for clients that predate the specification. Request errors (parse,
    /// validation) are HTTP 200, because such clients read the body whatever the status.
    Json,
    /// `application/graphql-response+json`: request errors are 4xx and carry no `data` entry.
    GraphqlResponse,
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

impl ResponseFormat {
    pub(super) fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Json => "application/json; charset=utf-8",
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        })
    }

    /// The format the request's `Accept` asks for, or `None` when it accepts neither (406).
    /// No `Accept` at all, or only wildcards, means `application/json`. Among media types the
    /// client rates equally, an exact match wins over a wildcard, and
    /// `application/graphql-response+json` wins a tie between exact matches.
    pub(super) fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let mut values = headers.get_all(header::ACCEPT).iter().peekable();
        if values.peek().is_none() {
            return Some(Self::Json);
        }
        let (mut json, mut graphql) = (Preference::NONE, Preference::NONE);
        for value in values {
            // An `Accept` that is not text accepts nothing we can name.
            let Ok(text) = value.to_str() else { continue };
            for range in text.split(',').filter_map(MediaRange::parse) {
                json = json.narrowed_by(range.preference_for(JSON));
                graphql = graphql.narrowed_by(range.preference_for(GRAPHQL_RESPONSE));
            }
        }
        let graphql_wins = match graphql.quality.cmp(&json.quality) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => {
                graphql.specificity == Specificity::Exact || graphql.specificity > json.specificity
            }
        };
        match (graphql_wins, graphql.quality, json.quality) {
            (true, 0, _) | (false, _, 0) => None,
            (true, _, _) => Some(Self::GraphqlResponse),
            (false, _, _) => Some(Self::Json),
        }
    }
}

/// How precisely a media range named a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Specificity {
    None,
    Any,
    Subtype,
    Exact,
}

/// What one media type is worth to the client: the quality (in thousandths) of the most
/// specific range that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Preference {
    quality: u16,
    specificity: Specificity,
}

impl Preference {
    const NONE: Self = Self {
        quality: 0,
        specificity: Specificity::None,
    };

    /// The more specific of two ranges decides (`application/json;q=0, */*` refuses JSON);
    /// between equally specific ones, the better quality.
    fn narrowed_by(self, other: Self) -> Self {
        match other.specificity.cmp(&self.specificity) {
            std::cmp::Ordering::Greater => other,
            std::cmp::Ordering::Less => self,
            std::cmp::Ordering::Equal if other.quality > self.quality => other,
            std::cmp::Ordering::Equal => self,
        }
    }
}

/// One entry of an `Accept` header: `type/subtype;q=0.5`.
#[derive(Debug)]
struct MediaRange<'a> {
    essence: &'a str,
    quality: u16,
}

impl<'a> MediaRange<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.split(';');
        let essence = parts.next()?.trim();
        if !essence.contains('/') {
            return None;
        }
        let mut quality = 1000;
        for parameter in parts {
            let Some((name, value)) = parameter.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("q") {
                quality = parse_quality(value.trim())?;
            }
        }
        Some(Self { essence, quality })
    }

    /// Whether this range covers `media_type`, and how precisely.
    fn preference_for(&self, media_type: &str) -> Preference {
        let specificity = if self.essence.eq_ignore_ascii_case(media_type) {
            Specificity::Exact
        } else if self.essence == "*/*" {
            Specificity::Any
        } else if self
            .essence
            .strip_suffix("/*")
            .is_some_and(|kind| media_type.split('/').next() == Some(kind))
        {
            Specificity::Subtype
        } else {
            return Preference::NONE;
        };
        Preference {
            quality: self.quality,
            specificity,
        }
    }
}

/// `q` is a number from 0 to 1 with up to three decimals; anything else makes the range invalid.
fn parse_quality(text: &str) -> Option<u16> {
    let value: f32 = text.parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negotiate(accept: &[&str]) -> Option<ResponseFormat> {
        let mut headers = HeaderMap::new();
        for value in accept {
            headers.append(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        }
        ResponseFormat::negotiate(&headers)
    }

    #[test]
    fn accept_chooses_the_response_format() {
        use ResponseFormat::{GraphqlResponse, Json};
        let cases: &[(&[&str], Option<ResponseFormat>)] = &[
            (&[], Some(Json)),
            (&["*/*"], Some(Json)),
            (&["application/*"], Some(Json)),
            (&["application/json"], Some(Json)),
            (
                &["application/graphql-response+json"],
                Some(GraphqlResponse),
            ),
            (
                &["application/graphql-response+json, application/json;q=0.9"],
                Some(GraphqlResponse),
            ),
            (
                &["application/json, application/graphql-response+json;q=0.5"],
                Some(Json),
            ),
            (
                &["application/graphql-response+json, application/json, multipart/mixed"],
                Some(GraphqlResponse),
            ),
            (
                &["application/graphql-response+json", "*/*"],
                Some(GraphqlResponse),
            ),
            (&["text/html"], None),
            (&["application/xml, text/*"], None),
            (&["application/json;q=0"], None),
            (&["application/json;q=0, */*"], Some(GraphqlResponse)),
            (&["application/json;q=2"], None),
            (&["APPLICATION/JSON; charset=utf-8"], Some(Json)),
            (&["text/html, */*;q=0.8"], Some(Json)),
        ];
        for (accept, expected) in cases {
            assert_eq!(negotiate(accept), *expected, "{accept:?}");
        }
    }
}
