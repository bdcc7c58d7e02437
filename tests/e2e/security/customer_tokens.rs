//! Customer tokens that stand for another customer. The legacy forms sign `<id>` and
//! `<id>.<expiry>`, and ids may contain `.`, so the plain token of `a.<expiry>` is also an
//! expiring token of `a` (and the other way round). A `v2` token can never be read as another
//! customer's, whatever form it is dressed in; legacy tokens still verify by default, and with
//! `--legacy-customer-tokens refuse` the old confusion is refused too.

use hmac::{Hmac, Mac};
use keyplane_domain::client_security::{LegacyTokens, sign_customer_token};
use reqwest::StatusCode;
use serde_json::json;
use sha2::Sha256;

use crate::harness::{Gql, TestApp, TestOptions};

const ROTATE: &str = "mutation { rotateClientSigningSecret(input: {}) { signingSecret } }";
const ENABLE: &str = "mutation { updateClientSecurity(input: { enabled: true }) { enabled } }";

/// A server with client-side security on; answers it and its signing secret.
async fn secured(legacy: LegacyTokens) -> (TestApp, String) {
    let app = TestApp::spawn_with(TestOptions {
        legacy_customer_tokens: legacy,
        ..TestOptions::default()
    })
    .await;
    let rotated = app.ok(&app.admin(), ROTATE, json!({})).await;
    let secret = rotated["rotateClientSigningSecret"]["signingSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(&app.admin(), ENABLE, json!({})).await;
    (app, secret)
}

/// A request with the publishable key as `customer_id`, carrying `token`.
async fn as_customer(app: &TestApp, customer_id: &str, token: &str) -> Gql {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("X-API-Key", app.publishable_key("production"))
        .header("X-Customer-Id", customer_id)
        .header("X-Customer-Token", token)
        .json(&json!({ "query": "{ viewer { apiKey { type } } }" }))
        .send()
        .await
        .unwrap();
    Gql::read(response).await
}

fn assert_refused(response: &Gql, what: &str) {
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        response.body
    );
    assert_eq!(
        response.first_error()["extensions"]["reason"],
        "INVALID_CUSTOMER_TOKEN",
        "{what}"
    );
}

/// Hex HMAC-SHA256, as backends computed the legacy forms.
fn hex_mac(secret: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The last part of a token: its signature.
fn signature(token: &str) -> &str {
    token.rsplit('.').next().unwrap()
}

fn expiry_in_an_hour() -> i64 {
    (chrono::Utc::now() + chrono::Duration::hours(1)).timestamp()
}

#[tokio::test]
async fn a_token_for_customer_a_dot_expiry_cannot_be_presented_as_customer_a() {
    let (app, secret) = secured(LegacyTokens::Accept).await;
    let expiry = expiry_in_an_hour();
    let dotted = format!("a.{expiry}");
    // The platform issued customer `a.<expiry>` a token that never expires.
    let dotted_token = sign_customer_token(&secret, &dotted, None);
    assert_eq!(
        as_customer(&app, &dotted, &dotted_token).await.status,
        StatusCode::OK,
        "the token is good for its own customer"
    );
    // Its holder dresses it as an expiring token of customer `a`, in every form.
    for forged in [
        format!("v1.{expiry}.{}", signature(&dotted_token)),
        format!("v2.{expiry}.{}", signature(&dotted_token)),
        signature(&dotted_token).to_owned(),
    ] {
        assert_refused(&as_customer(&app, "a", &forged).await, &forged);
    }
    // And the other way: `a`'s expiring token is no never-expiring token of `a.<expiry>`.
    let a_token = sign_customer_token(&secret, "a", Some(expiry));
    assert_eq!(
        as_customer(&app, "a", &a_token).await.status,
        StatusCode::OK
    );
    for forged in [
        signature(&a_token).to_owned(),
        format!("v2.{}", signature(&a_token)),
    ] {
        assert_refused(&as_customer(&app, &dotted, &forged).await, &forged);
    }
    // A legacy token cannot be passed off as a v2 one either.
    let legacy_dotted = hex_mac(&secret, &dotted);
    assert_refused(
        &as_customer(&app, "a", &format!("v2.{expiry}.{legacy_dotted}")).await,
        "legacy plain token as v2",
    );
    // Tokens of the legacy forms still verify for their own customer, until retired.
    let legacy_plain = hex_mac(&secret, "cus_1");
    let legacy_expiring = format!(
        "v1.{expiry}.{}",
        hex_mac(&secret, &format!("cus_1.{expiry}"))
    );
    for token in [&legacy_plain, &legacy_expiring] {
        assert_eq!(
            as_customer(&app, "cus_1", token).await.status,
            StatusCode::OK,
            "{token}"
        );
    }
}

#[tokio::test]
async fn once_legacy_tokens_are_retired_the_old_confusion_is_refused() {
    let (app, secret) = secured(LegacyTokens::Refuse).await;
    let expiry = expiry_in_an_hour();
    let dotted = format!("a.{expiry}");
    // A legacy token of `a.<expiry>` is the legacy expiring token of `a`, byte for byte.
    let legacy_dotted = hex_mac(&secret, &dotted);
    assert_refused(
        &as_customer(&app, "a", &format!("v1.{expiry}.{legacy_dotted}")).await,
        "legacy plain token of a.<expiry> as a v1 token of a",
    );
    let legacy_a = format!("v1.{expiry}.{}", hex_mac(&secret, &format!("a.{expiry}")));
    assert_refused(
        &as_customer(&app, &dotted, signature(&legacy_a)).await,
        "v1 token of a as the plain token of a.<expiry>",
    );
    // Every legacy token is refused; v2 tokens work.
    assert_refused(
        &as_customer(&app, "cus_1", &hex_mac(&secret, "cus_1")).await,
        "legacy plain token",
    );
    for token in [
        sign_customer_token(&secret, "cus_1", None),
        sign_customer_token(&secret, "cus_1", Some(expiry)),
    ] {
        assert_eq!(
            as_customer(&app, "cus_1", &token).await.status,
            StatusCode::OK,
            "{token}"
        );
    }
}
