//! The gateway Linli posts to (`--webhook-url`): notices and digests from the outbox (the
//! notification worker), and account verification codes, sent at once. Each body is JSON,
//! signed with the shared secret.

use std::time::Duration;

/// Where notices go besides the inbox.
#[derive(Clone)]
pub struct Webhook {
    pub url: String,
    /// Signs each body (HMAC-SHA256) when set.
    pub secret: Option<String>,
    pub client: reqwest::Client,
}

impl Webhook {
    pub fn new(url: String, secret: Option<String>) -> Webhook {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        Webhook { url, secret: secret.filter(|s| !s.is_empty()), client }
    }

    /// The `X-Linli-Signature` value of a body.
    pub fn signature(secret: &str, body: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        // HMAC takes a key of any length: this never fails.
        let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()) else { return String::new() };
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }
}

impl Webhook {
    /// Posts `body` (signed when there is a secret); an error says why it was not taken.
    pub async fn post(&self, body: &serde_json::Value) -> Result<(), String> {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let mut request = self.client.post(&self.url).header("content-type", "application/json");
        if let Some(secret) = &self.secret {
            request = request.header("x-linli-signature", Webhook::signature(secret, &bytes));
        }
        match request.body(bytes).send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("HTTP {}", r.status())),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Sends a verification code to the phone on record, at once and not through the
    /// outbox (a code is not kept). This is the one message that carries a phone number:
    /// the code must reach the phone the community holds, not the account's.
    /// `{"type": "verification_code", "phone", "text"}`.
    pub async fn send_code(&self, phone: &str, text: &str) -> Result<(), String> {
        self.post(&serde_json::json!({"type": "verification_code", "phone": phone, "text": text})).await
    }
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").field("url", &self.url).field("signed", &self.secret.is_some()).finish()
    }
}
