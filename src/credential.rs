//! The caller's (account, Region) as the SigV4 `Authorization` header claims it: the Region
//! from the credential scope, the account of a known principal's access key, else a 12-digit
//! access key ID (LocalStack's convention), else the configured default. Nothing is verified
//! here: with `--auth sigv4`, [`crate::auth`] checks the signature and gives the scope.

use axum::http::HeaderMap;
use kms_api::Scope;

use crate::config::{Config, is_account_id};

/// The parts of `Credential=<access key>/<date>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credential<'a> {
    /// The access key ID.
    pub access_key_id: &'a str,
    /// The Region of the credential scope.
    pub region: &'a str,
    /// The service it is scoped to (`kms`; `sts` for GetCallerIdentity); empty when missing.
    pub service: &'a str,
}

/// Parses the credential out of a SigV4 `Authorization` header value.
pub fn parse_authorization(value: &str) -> Option<Credential<'_>> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256")?;
    let start = rest.find("Credential=")? + "Credential=".len();
    let scope = rest[start..].split([',', ' ']).next()?;
    let mut parts = scope.split('/');
    let access_key_id = parts.next().filter(|s| !s.is_empty())?;
    let _date = parts.next()?;
    let region = parts.next().filter(|s| !s.is_empty())?;
    Some(Credential {
        access_key_id,
        region,
        service: parts.next().unwrap_or_default(),
    })
}

/// The credential of the request's `Authorization` header, when it is signed.
pub fn credential(headers: &HeaderMap) -> Option<Credential<'_>> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    parse_authorization(value)
}

/// The access key ID of the request, when it is signed.
pub fn access_key_id(headers: &HeaderMap) -> Option<&str> {
    credential(headers).map(|c| c.access_key_id)
}

/// The scope a request acts in.
pub fn scope_of(headers: &HeaderMap, config: &Config) -> Scope {
    match credential(headers) {
        Some(c) => {
            let account = if let Some(principal) = config.auth.principals().get(c.access_key_id) {
                principal.account.as_str()
            } else if is_account_id(c.access_key_id) {
                c.access_key_id
            } else {
                &config.default_account
            };
            Scope::new(account, c.region)
        }
        None => Scope::new(
            config.default_account.as_str(),
            config.default_region.as_str(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-2/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";

    #[test]
    fn parses_sigv4_credential_scope() {
        assert_eq!(
            parse_authorization(AUTH),
            Some(Credential {
                access_key_id: "AKIDEXAMPLE",
                region: "eu-west-2",
                service: "kms",
            })
        );
        assert_eq!(parse_authorization("Bearer x"), None);
        assert_eq!(parse_authorization("AWS4-HMAC-SHA256 Credential=/x"), None);
    }

    #[test]
    fn twelve_digit_access_keys_are_accounts() {
        let config = Config::default();
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            AUTH.replace("AKIDEXAMPLE", "000000000042").parse().unwrap(),
        );
        let scope = scope_of(&headers, &config);
        assert_eq!(
            (scope.account(), scope.region()),
            ("000000000042", "eu-west-2")
        );
        headers.insert("authorization", AUTH.parse().unwrap());
        assert_eq!(scope_of(&headers, &config).account(), "111122223333");
        assert_eq!(scope_of(&HeaderMap::new(), &config).region(), "us-east-1");
    }
}
