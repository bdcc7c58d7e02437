//! Rotates an API key through Keyplane's GraphQL API, keeping the old secret valid for a grace
//! period so services can move to the new one without downtime.
//!
//! ```sh
//! KEYPLANE_API_KEY=server-… cargo run --example rotate_key -- <KEY_ID> [NOW|ONE_HOUR|ONE_DAY|THREE_DAYS|SEVEN_DAYS]
//! ```
//!
//! `KEYPLANE_URL` defaults to `http://127.0.0.1:8080`. The new secret is printed once, to stdout.

use std::process::ExitCode;

use serde_json::{Value, json};

const ROTATE: &str = "mutation($input: RotateApiKeyInput!) {
  rotateApiKey(input: $input) {
    secret
    apiKey { id name maskedKey }
    previousKey { id status expiresAt }
  }
}";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let key_id = args
        .next()
        .ok_or("usage: rotate_key <KEY_ID> [GRACE_PERIOD]")?;
    let grace = args.next().unwrap_or_else(|| "ONE_DAY".to_owned());
    let api_key = std::env::var("KEYPLANE_API_KEY").map_err(|_| "set KEYPLANE_API_KEY")?;
    let url = std::env::var("KEYPLANE_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned());

    let response = reqwest::Client::new()
        .post(format!("{url}/graphql"))
        .header("X-API-Key", api_key)
        .json(&json!({ "query": ROTATE, "variables": { "input": { "id": key_id, "gracePeriod": grace } } }))
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("not JSON ({status}): {e}"))?;
    if let Some(error) = body["errors"].get(0) {
        return Err(format!(
            "{} ({status}): {}",
            error["extensions"]["code"].as_str().unwrap_or("?"),
            error["message"].as_str().unwrap_or("")
        ));
    }
    let rotated = &body["data"]["rotateApiKey"];
    eprintln!(
        "rotated {} ({}): old key {} is {} until {}",
        rotated["apiKey"]["name"].as_str().unwrap_or(""),
        rotated["apiKey"]["maskedKey"].as_str().unwrap_or(""),
        rotated["previousKey"]["id"].as_str().unwrap_or(""),
        rotated["previousKey"]["status"].as_str().unwrap_or(""),
        rotated["previousKey"]["expiresAt"].as_str().unwrap_or("")
    );
    eprintln!(
        "new key id: {}",
        rotated["apiKey"]["id"].as_str().unwrap_or("")
    );
    // The only copy of the new secret: deploy it before the old one expires.
    println!("{}", rotated["secret"].as_str().unwrap_or(""));
    Ok(())
}
