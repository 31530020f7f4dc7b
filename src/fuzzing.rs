//! Entry points for the coverage-guided fuzz targets in `fuzz/` (each target is a one-liner
//! into this module): the SigV4 credential parser, the seed-file parser and the quota parsers.
//! Each panics only on what must never happen (a panic inside the parser).

use axum::http::{HeaderMap, HeaderValue};
use kms_api::{Kms, Scope};

use crate::config::Config;
use crate::credential::{parse_authorization, scope_of};
use crate::throttle::QuotaTable;

/// An `Authorization` header value: parsed, and turned into a scope.
pub fn credential(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_authorization(text);
    }
    if let Ok(value) = HeaderValue::from_bytes(data) {
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::AUTHORIZATION, value);
        let _ = scope_of(&headers, &Config::default());
    }
}

/// A seed file (`data[0]` odd: JSON, else YAML) applied to a fresh engine.
pub fn seed(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kms = Kms::new();
    let scope = Scope::new("111122223333", "us-east-1");
    let _ = crate::store::seed::apply_text(text, kind & 1 == 1, &kms, None, &scope);
}

/// A quotas file, and the same text as `--quota` flags.
pub fn quotas(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut table = QuotaTable::default();
    let _ = table.apply_toml(text);
    for flag in text.split(',') {
        let _ = table.apply_flag(flag);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn entry_points_take_any_bytes() {
        for data in [
            &b""[..],
            b"\x00",
            b"\x01{}",
            b"AWS4-HMAC-SHA256 Credential=a/b/c",
            &[0xff; 9],
        ] {
            super::credential(data);
            super::seed(data);
            super::quotas(data);
        }
    }
}
