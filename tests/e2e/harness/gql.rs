//! What a test reads back: a GraphQL response whose every error must carry a code.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// A GraphQL response. Reading one asserts that every error it carries has a code.
#[derive(Debug)]
pub struct Gql {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Gql {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("a JSON body, got {status}: {text}"));
        if let Some(errors) = body.get("errors").and_then(Value::as_array) {
            for error in errors {
                assert!(
                    error["extensions"]["code"].is_string(),
                    "every error carries extensions.code: {error}"
                );
            }
        }
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn data(self) -> Value {
        assert!(
            self.body.get("errors").is_none(),
            "expected success, got {}: {}",
            self.status,
            self.body
        );
        assert_eq!(self.status, StatusCode::OK);
        self.body["data"].clone()
    }

    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["extensions"]["code"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The code of the only error.
    pub fn code(&self) -> String {
        let codes = self.codes();
        assert_eq!(codes.len(), 1, "exactly one error: {}", self.body);
        codes[0].clone()
    }

    pub fn first_error(&self) -> &Value {
        &self.body["errors"][0]
    }
}

/// The nodes of a GraphQL connection (`{ edges { node { … } } }`), in order.
pub fn nodes_of(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .expect("a connection with edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}
