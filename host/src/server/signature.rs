//! Webhook signatures: HMAC-SHA256 of the body (`hmac-sha256`, as GitHub
//! and many others send it) or Stripe's timestamped `t=…,v1=…` scheme.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::WebhookSettings;

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery's signature was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} header is missing")]
    Missing(String),
    #[error("the {0} header is malformed")]
    Malformed(String),
    #[error("the signature does not match the body")]
    Mismatch,
    #[error("the signature's timestamp is outside the tolerance of {0} s")]
    Expired(u64),
}

/// The header a source's signature arrives in.
pub fn header_name(settings: &WebhookSettings) -> String {
    if !settings.signature_header.is_empty() {
        settings.signature_header.clone()
    } else if settings.scheme == "stripe" {
        "Stripe-Signature".into()
    } else {
        "X-Signature-256".into()
    }
}

fn mac(secret: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    for p in parts {
        m.update(p);
    }
    m
}

/// Verifies `body` against the signature in `headers`.
pub fn verify(
    settings: &WebhookSettings,
    secret: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let name = header_name(settings);
    let value = headers
        .get(name.as_str())
        .ok_or_else(|| SignatureError::Missing(name.clone()))?
        .to_str()
        .map_err(|_| SignatureError::Malformed(name.clone()))?;
    if settings.scheme == "stripe" {
        let mut t = None;
        let mut sigs = Vec::new();
        for part in value.split(',') {
            match part.trim().split_once('=') {
                Some(("t", v)) => t = v.parse::<i64>().ok(),
                Some(("v1", v)) => sigs.push(v.to_string()),
                _ => {}
            }
        }
        let t = t.ok_or_else(|| SignatureError::Malformed(name.clone()))?;
        if sigs.is_empty() {
            return Err(SignatureError::Malformed(name));
        }
        if (now_secs - t).unsigned_abs() > settings.tolerance_secs {
            return Err(SignatureError::Expired(settings.tolerance_secs));
        }
        let signed = format!("{t}.");
        for sig in sigs {
            let Ok(bytes) = hex::decode(&sig) else {
                continue;
            };
            if mac(secret, &[signed.as_bytes(), body])
                .verify_slice(&bytes)
                .is_ok()
            {
                return Ok(());
            }
        }
        Err(SignatureError::Mismatch)
    } else {
        let hex_sig = value.strip_prefix("sha256=").unwrap_or(value);
        let bytes = hex::decode(hex_sig.trim()).map_err(|_| SignatureError::Malformed(name))?;
        mac(secret, &[body])
            .verify_slice(&bytes)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// Signs `body` the way `scheme` expects (for tests and clients).
pub fn sign(scheme: &str, secret: &[u8], body: &[u8], t: i64) -> String {
    if scheme == "stripe" {
        let sig = mac(secret, &[format!("{t}.").as_bytes(), body])
            .finalize()
            .into_bytes();
        format!("t={t},v1={}", hex::encode(sig))
    } else {
        format!(
            "sha256={}",
            hex::encode(mac(secret, &[body]).finalize().into_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        h
    }

    #[test]
    fn hmac_sha256_good_bad_missing() {
        let s = WebhookSettings::default();
        let body = br#"{"type":"x"}"#;
        let good = sign("hmac-sha256", b"k", body, 0);
        assert_eq!(
            verify(&s, b"k", &headers("X-Signature-256", &good), body, 0),
            Ok(())
        );
        assert_eq!(
            verify(&s, b"other", &headers("X-Signature-256", &good), body, 0),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify(&s, b"k", &HeaderMap::new(), body, 0),
            Err(SignatureError::Missing(_))
        ));
    }

    #[test]
    fn stripe_checks_the_timestamp() {
        let s = WebhookSettings {
            scheme: "stripe".into(),
            ..WebhookSettings::default()
        };
        let body = br#"{"type":"payment_intent.succeeded"}"#;
        let good = sign("stripe", b"whsec", body, 1_000);
        let h = headers("Stripe-Signature", &good);
        assert_eq!(verify(&s, b"whsec", &h, body, 1_010), Ok(()));
        assert_eq!(
            verify(&s, b"whsec", &h, body, 10_000),
            Err(SignatureError::Expired(300))
        );
        assert_eq!(
            verify(&s, b"whsec", &h, b"{}", 1_010),
            Err(SignatureError::Mismatch)
        );
    }
}
