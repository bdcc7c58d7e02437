//! What a platform's backend does to let its frontend use the publishable key under client-side
//! security: sign the logged-in customer's id with the environment's signing secret (from
//! `rotateClientSigningSecret`) and hand the token to the browser, which sends it as
//! `X-Customer-Token` beside `X-Customer-Id`.
//!
//! ```sh
//! KEYPLANE_SIGNING_SECRET=kpsign-… cargo run --example customer_token -- cus_123 [LIFETIME_SECONDS]
//! ```
//!
//! The token is `v2.<hex hmac>` over `"v2\n<customerId>\n"` without a lifetime (it never
//! expires: it is valid until the signing secret is rotated out), or
//! `v2.<unix-expiry>.<hex hmac>` over `"v2\n<customerId>\n<unix-expiry>"` with one; Keyplane
//! refuses lifetimes over 24 hours. The HMAC is HMAC-SHA256 keyed with the signing secret.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn sign(secret: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(customer_id), Ok(secret)) = (args.next(), std::env::var("KEYPLANE_SIGNING_SECRET"))
    else {
        eprintln!(
            "usage: KEYPLANE_SIGNING_SECRET=… customer_token <CUSTOMER_ID> [LIFETIME_SECONDS]"
        );
        return ExitCode::FAILURE;
    };
    let token = match args.next().map(|s| s.parse::<u64>()) {
        None => format!("v2.{}", sign(&secret, &format!("v2\n{customer_id}\n"))),
        Some(Ok(lifetime)) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("after 1970")
                .as_secs();
            let expiry = now + lifetime;
            format!(
                "v2.{expiry}.{}",
                sign(&secret, &format!("v2\n{customer_id}\n{expiry}"))
            )
        }
        Some(Err(_)) => {
            eprintln!("LIFETIME_SECONDS must be a whole number of seconds");
            return ExitCode::FAILURE;
        }
    };
    println!("{token}");
    ExitCode::SUCCESS
}
