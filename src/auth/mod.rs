//! Who is calling: the `--auth` mode, the known [`Principals`], and [`Authenticator::verify`],
//! which checks a request's SigV4 signature (scope, time, session token, signature) and names
//! the principal behind it.
//!
//! - `none` (the default) checks nothing: a known access key ID acts in its principal's
//!   account, any other keeps the old rules (a 12-digit access key ID is the account, otherwise
//!   the default account).
//! - `sigv4` refuses every KMS request that is not signed by a known credential, with AWS's
//!   errors (`MissingAuthenticationTokenException`, `IncompleteSignatureException`,
//!   `InvalidSignatureException`, `UnrecognizedClientException`).
//!
//! **Clock skew.** A signature is current when its time is within 15 minutes of the emulated
//! clock or of the host's clock. The emulated clock is AWS's "now" here, but SDKs sign with the
//! host's clock, so advancing the emulated clock (to test rotation) must not lock every client
//! out.

pub mod principals;
pub mod sigv4;

use std::sync::Arc;

pub use principals::{Principal, PrincipalKind, Principals};
use sigv4::{Canonicalization, Claims, HeaderSource, Request};

/// The service name KMS requests are signed for.
pub const SERVICE: &str = "kms";
/// How far a signature's time may be from now, in seconds (AWS's 15 minutes).
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;
/// The longest a presigned request may stay valid (`X-Amz-Expires`, 7 days).
pub const MAX_PRESIGNED_EXPIRY_SECONDS: u64 = 7 * 24 * 3600;

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// No checks (the default).
    #[default]
    None,
    /// Every KMS request carries a valid SigV4 signature of a known credential.
    Sigv4,
    /// `Sigv4`, and every request is authorized by key policies, identity policies and
    /// grants (`kms_api::authorize`).
    Enforce,
}

impl std::str::FromStr for AuthMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Self::None),
            "sigv4" => Ok(Self::Sigv4),
            "enforce" => Ok(Self::Enforce),
            other => Err(format!(
                "unknown auth mode {other:?}: expected none, sigv4 or enforce"
            )),
        }
    }
}

impl AuthMode {
    /// The name `--auth` takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Sigv4 => "sigv4",
            Self::Enforce => "enforce",
        }
    }
}

/// An authentication failure as AWS answers it: HTTP 400 with this `__type` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    /// The `__type`.
    pub code: &'static str,
    /// The `message`.
    pub message: String,
}

impl AuthError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn incomplete(message: impl Into<String>) -> Self {
        Self::new("IncompleteSignatureException", message)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new("InvalidSignatureException", message)
    }

    pub(crate) fn missing() -> Self {
        Self::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
    }

    fn unrecognized() -> Self {
        Self::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    }
}

/// The mode and the principals.
#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    mode: AuthMode,
    principals: Arc<Principals>,
}

/// A request that passed [`Authenticator::verify`].
#[derive(Debug, Clone)]
pub struct Verified<'s, 'r> {
    /// Who signed it (borrowed from the authenticator).
    pub principal: &'s Arc<Principal>,
    /// The Region of its credential scope (borrowed from the request).
    pub region: &'r str,
}

impl Authenticator {
    /// `mode` over `principals`.
    pub fn new(mode: AuthMode, principals: Principals) -> Self {
        Self {
            mode,
            principals: Arc::new(principals),
        }
    }

    /// The mode.
    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// The known principals.
    pub fn principals(&self) -> &Principals {
        &self.principals
    }

    /// Whether requests are authorized by policies and grants (`--auth enforce`).
    pub fn enforces(&self) -> bool {
        self.mode == AuthMode::Enforce
    }

    /// Whether requests must be signed.
    pub fn verifies(&self) -> bool {
        self.mode != AuthMode::None
    }

    /// Checks the request's signature: a known access key, its session token, a credential
    /// scope for `kms` on the request's date, a time within [`MAX_SKEW_SECONDS`] of one of
    /// the times of `clocks` (Unix seconds: the emulated clock, then the host's; read only
    /// as far as needed, since a clock read is not free), and the signature itself.
    pub fn verify<'s, 'r, H: HeaderSource + ?Sized>(
        &'s self,
        req: &Request<'r, H>,
        clocks: &[&dyn Fn() -> i64],
    ) -> Result<Verified<'s, 'r>, AuthError> {
        self.verify_for(SERVICE, req, clocks)
    }

    /// [`Authenticator::verify`] for a request signed for `service` (`kms`, or `sts` for the
    /// GetCallerIdentity the emulator also answers).
    pub fn verify_for<'s, 'r, H: HeaderSource + ?Sized>(
        &'s self,
        service: &str,
        req: &Request<'r, H>,
        clocks: &[&dyn Fn() -> i64],
    ) -> Result<Verified<'s, 'r>, AuthError> {
        let claims = sigv4::parse(req)?.ok_or_else(AuthError::missing)?;
        // AWS's order: the date, its currency, the scope, the key, the signature, the token.
        check_time(&claims, clocks)?;
        let signed = signed_headers(&claims);
        check_scope(&claims, &signed, service)?;
        check_signed_headers(&signed, req.headers)?;
        let principal = self
            .principals
            .get(claims.access_key_id)
            .ok_or_else(AuthError::unrecognized)?;
        let payload = sigv4::payload_hash(req.body);
        let payload = std::str::from_utf8(&payload).unwrap_or_default();
        if let Some(declared) = req.headers.first("x-amz-content-sha256") {
            if declared != payload {
                return Err(AuthError::invalid(
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                ));
            }
        }
        let options = Canonicalization::default();
        let matches =
            principal.with_signing_key(claims.scope_date, claims.region, service, |key| {
                sigv4::signature_matches(req, &claims, payload, key, options)
            });
        if !matches {
            return Err(AuthError::invalid(sigv4::mismatch_message(
                req, &claims, payload, options,
            )));
        }
        if !principal.session_token_matches(claims.session_token.as_deref()) {
            return Err(AuthError::unrecognized());
        }
        // The claims borrow the request; hand back the Region from the request itself.
        let region = claims.region;
        Ok(Verified { principal, region })
    }
}

/// The signed headers, as a list of lowercase names (percent-decoded for a presigned request).
fn signed_headers<'c>(claims: &Claims<'c>) -> std::borrow::Cow<'c, str> {
    match claims.carrier {
        sigv4::Carrier::Header => std::borrow::Cow::Borrowed(claims.signed_headers),
        sigv4::Carrier::Query => sigv4::percent_decode_lossy(claims.signed_headers).into(),
    }
}

/// The credential scope: `<date>/<region>/kms/aws4_request`, its date the request's, and
/// `host` among the signed headers.
fn check_scope(claims: &Claims<'_>, signed: &str, service: &str) -> Result<(), AuthError> {
    if !signed.split(';').any(|h| h == "host") {
        return Err(AuthError::invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    // AWS names every scope mistake at once, in this order.
    let mut problems = Vec::new();
    if !crate::regions::is_known(claims.region) {
        problems.push(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            claims.region
        ));
    }
    if claims.service != service {
        problems.push(format!(
            "Credential should be scoped to correct service: '{service}'."
        ));
    }
    if claims.terminator != "aws4_request" {
        problems.push(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            claims.terminator
        ));
    }
    let http_date = claims.amz_date.get(..8).unwrap_or_default();
    if claims.scope_date != http_date {
        problems.push(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{http_date}', from '{}'.",
            claims.scope_date, claims.amz_date
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AuthError::invalid(problems.join(" ")))
    }
}

/// SigV4's rule for what a signature must cover besides `host`: `Content-Type` when the request
/// has one, and every `X-Amz-*` header it carries. Otherwise a header such as `X-Amz-Target`
/// could be changed after signing, turning a signed DescribeKey into a ScheduleKeyDeletion.
fn check_signed_headers<H: HeaderSource + ?Sized>(
    signed: &str,
    headers: &H,
) -> Result<(), AuthError> {
    let is_signed = |name: &str| signed.split(';').any(|h| h.eq_ignore_ascii_case(name));
    let must_be_signed = |name: &str| {
        name.eq_ignore_ascii_case("content-type")
            || name
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
    };
    match headers.names().find(|n| must_be_signed(n) && !is_signed(n)) {
        None => Ok(()),
        Some(name) => Err(AuthError::invalid(format!(
            "'{}' must be a 'SignedHeader' in the AWS Authorization.",
            title_case(name)
        ))),
    }
}

/// A header name as AWS writes it in messages: `x-amz-target` → `X-Amz-Target`.
fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut start = true;
    for c in name.chars() {
        out.push(if start {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        start = c == '-';
    }
    out
}

/// The signature's time against each of `clocks`: within [`MAX_SKEW_SECONDS`] of one of them,
/// and for a presigned request also not past its `X-Amz-Expires`.
fn check_time(claims: &Claims<'_>, clocks: &[&dyn Fn() -> i64]) -> Result<(), AuthError> {
    let Some(signed_at) = sigv4::parse_amz_date(&claims.amz_date) else {
        return Err(AuthError::incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
            claims.amz_date
        )));
    };
    if let Some(expires) = claims.expires {
        if expires > MAX_PRESIGNED_EXPIRY_SECONDS {
            return Err(AuthError::incomplete(
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            ));
        }
    }
    let current = |n: i64| match claims.expires {
        Some(expires) => {
            signed_at <= n.saturating_add(MAX_SKEW_SECONDS)
                && n <= signed_at.saturating_add(expires as i64)
        }
        None => (signed_at - n).abs() <= MAX_SKEW_SECONDS,
    };
    let mut reference = None;
    for clock in clocks {
        let n = clock();
        if current(n) {
            return Ok(());
        }
        reference.get_or_insert(n);
    }
    let reference = reference.unwrap_or_default();
    let fmt = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .format("%Y%m%dT%H%M%SZ")
            .to_string()
    };
    let message = if signed_at > reference {
        format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            claims.amz_date,
            fmt(reference.saturating_add(MAX_SKEW_SECONDS)),
            fmt(reference)
        )
    } else if let Some(expires) = claims.expires {
        format!(
            "Signature expired: {} is now earlier than {} ({} - {expires} sec.)",
            fmt(signed_at.saturating_add(expires as i64)),
            fmt(reference),
            fmt(reference)
        )
    } else {
        format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            claims.amz_date,
            fmt(reference.saturating_sub(MAX_SKEW_SECONDS)),
            fmt(reference)
        )
    };
    Err(AuthError::invalid(message))
}

#[cfg(test)]
mod tests;
