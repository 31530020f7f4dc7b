//! AWS Signature Version 4, the verifying side: parses a request's signature (the
//! `Authorization` header, or the `X-Amz-*` query parameters of a presigned request), rebuilds
//! the canonical request and string to sign as AWS's published algorithm defines them, and
//! compares the signature in constant time.
//!
//! The canonical request is streamed into SHA-256 rather than built as a string, so verifying a
//! KMS request (path `/`, no query) allocates nothing; the string is built only for the error
//! text of a mismatch, as AWS shows it. Who the credential belongs to, and which times are
//! current, are the caller's business ([`super::Authenticator`]).

use aws_lc_rs::{digest, hmac};

use super::AuthError;

/// The only algorithm SigV4 defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The hex SHA-256 of an empty payload.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The headers of a request, looked up by lowercase name.
pub trait HeaderSource {
    /// Every value of the header `name` (lowercase), in the order they were sent.
    fn values<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s [u8]> + 's;

    /// The name of every header, in any case, once or more.
    fn names(&self) -> impl Iterator<Item = &str>;

    /// The first value of `name`, as text.
    fn first(&self, name: &str) -> Option<&str> {
        self.values(name)
            .next()
            .and_then(|v| std::str::from_utf8(v).ok())
    }
}

impl HeaderSource for axum::http::HeaderMap {
    fn values<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s [u8]> + 's {
        self.get_all(name).iter().map(|v| v.as_bytes())
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.keys().map(|k| k.as_str())
    }
}

impl HeaderSource for [(String, Vec<u8>)] {
    fn values<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s [u8]> + 's {
        let name = name.to_owned();
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_slice())
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(n, _)| n.as_str())
    }
}

/// A request as the verifier sees it: everything the canonical request covers.
pub struct Request<'a, H: HeaderSource + ?Sized> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path as sent, before any decoding.
    pub path: &'a str,
    /// The query string as sent, without the `?` (empty when there is none).
    pub query: &'a str,
    /// The headers.
    pub headers: &'a H,
    /// The body.
    pub body: &'a [u8],
}

/// How the signature travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    Header,
    /// `?X-Amz-Algorithm=...&X-Amz-Credential=...&X-Amz-Signature=...` (a presigned URL).
    Query,
}

/// The signature's claims, parsed but not yet checked against any secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims<'a> {
    /// Where the signature was found.
    pub carrier: Carrier,
    /// The access key ID of the credential.
    pub access_key_id: &'a str,
    /// `YYYYMMDD` of the credential scope.
    pub scope_date: &'a str,
    /// The Region of the credential scope.
    pub region: &'a str,
    /// The service of the credential scope.
    pub service: &'a str,
    /// The scope's terminator (`aws4_request` when well formed).
    pub terminator: &'a str,
    /// `Credential=` as sent, for messages.
    pub credential: &'a str,
    /// The signed header names, `;`-separated, as sent.
    pub signed_headers: &'a str,
    /// The hex signature, as sent (query parameters are decoded).
    pub signature: String,
    /// The request time, `YYYYMMDDTHHMMSSZ` (from `X-Amz-Date`, or `Date` converted).
    pub amz_date: String,
    /// The presigned URL's `X-Amz-Expires`, in seconds.
    pub expires: Option<u64>,
    /// The session token sent, if any.
    pub session_token: Option<String>,
}

/// The signature's claims: from the `Authorization` header, or from the query of a presigned
/// request. `Ok(None)` when the request carries no signature at all.
pub fn parse<'a, H: HeaderSource + ?Sized>(
    req: &Request<'a, H>,
) -> Result<Option<Claims<'a>>, AuthError> {
    if let Some(value) = req.headers.values("authorization").next() {
        if raw_query_param(req.query, "X-Amz-Algorithm").is_some() {
            return Err(AuthError::invalid(
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
            ));
        }
        let text = std::str::from_utf8(value).map_err(|_| {
            AuthError::incomplete(format!(
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. {}Authorization={}",
                date_requirement(req.headers),
                String::from_utf8_lossy(value)
            ))
        })?;
        return parse_header(text, req.headers).map(Some);
    }
    if query_param(req.query, "X-Amz-Signature").is_some()
        || query_param(req.query, "X-Amz-Algorithm").is_some()
    {
        return parse_query(req).map(Some);
    }
    Ok(None)
}

fn date_requirement<H: HeaderSource + ?Sized>(headers: &H) -> &'static str {
    if headers.values("x-amz-date").next().is_some() || headers.values("date").next().is_some() {
        ""
    } else {
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
    }
}

fn parse_header<'a, H: HeaderSource + ?Sized>(
    text: &'a str,
    headers: &'a H,
) -> Result<Claims<'a>, AuthError> {
    let trimmed = text.trim();
    let (algorithm, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    if !algorithm.starts_with("AWS4-") {
        return Err(AuthError::missing());
    }
    if algorithm != ALGORITHM {
        return Err(AuthError::incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
        )));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut missing = String::new();
    if credential.is_none() {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed_headers.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    let amz_date = request_date(headers);
    if amz_date.is_none() {
        missing.push_str(date_requirement(headers));
    }
    if !missing.is_empty() || amz_date.is_none() {
        return Err(AuthError::incomplete(format!(
            "{missing}Authorization={text}"
        )));
    }
    let (credential, signed_headers, signature) = (
        credential.unwrap_or_default(),
        signed_headers.unwrap_or_default(),
        signature.unwrap_or_default(),
    );
    claims(
        Carrier::Header,
        credential,
        signed_headers,
        signature.to_owned(),
        amz_date.unwrap_or_default(),
        None,
        headers.first("x-amz-security-token").map(str::to_owned),
    )
}

fn parse_query<'a, H: HeaderSource + ?Sized>(
    req: &Request<'a, H>,
) -> Result<Claims<'a>, AuthError> {
    let param = |name: &str| query_param(req.query, name);
    let algorithm = param("X-Amz-Algorithm").unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(AuthError::incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
        )));
    }
    let mut missing = Vec::new();
    for name in [
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ] {
        if param(name).is_none() {
            missing.push(format!(
                "AWS query-string parameters must include '{name}'."
            ));
        }
    }
    if !missing.is_empty() {
        return Err(AuthError::incomplete(format!(
            "{} Re-examine the query-string parameters.",
            missing.join(" ")
        )));
    }
    // Borrowed raw: the credential's slashes are usually sent as `%2F` (`claims` splits on
    // either), and the signed headers are decoded when written.
    let credential = raw_query_param(req.query, "X-Amz-Credential").unwrap_or_default();
    let signed_headers = raw_query_param(req.query, "X-Amz-SignedHeaders").unwrap_or_default();
    let expires = param("X-Amz-Expires").and_then(|v| v.parse::<u64>().ok());
    let amz_date = param("X-Amz-Date").unwrap_or_default();
    claims(
        Carrier::Query,
        credential,
        signed_headers,
        param("X-Amz-Signature").unwrap_or_default(),
        amz_date,
        expires,
        param("X-Amz-Security-Token"),
    )
}

/// Builds the claims from the raw `Credential` (slashes possibly percent-encoded).
fn claims<'a>(
    carrier: Carrier,
    credential: &'a str,
    signed_headers: &'a str,
    signature: String,
    amz_date: String,
    expires: Option<u64>,
    session_token: Option<String>,
) -> Result<Claims<'a>, AuthError> {
    let separator = if credential.contains("%2F") || credential.contains("%2f") {
        "%2F"
    } else {
        "/"
    };
    let mut parts = split_ignore_case(credential, separator);
    let malformed = || {
        AuthError::incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
            percent_decode_lossy(credential)
        ))
    };
    let access_key_id = parts.next().ok_or_else(malformed)?;
    let scope_date = parts.next().ok_or_else(malformed)?;
    let region = parts.next().ok_or_else(malformed)?;
    let service = parts.next().ok_or_else(malformed)?;
    let terminator = parts.next().ok_or_else(malformed)?;
    if parts.next().is_some() {
        return Err(malformed());
    }
    Ok(Claims {
        carrier,
        access_key_id,
        scope_date,
        region,
        service,
        terminator,
        credential,
        signed_headers,
        signature,
        amz_date,
        expires,
        session_token,
    })
}

fn split_ignore_case<'a>(s: &'a str, sep: &'static str) -> impl Iterator<Item = &'a str> + 'a {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let current = rest?;
        let lower_hit = current
            .as_bytes()
            .windows(sep.len())
            .position(|w| w.eq_ignore_ascii_case(sep.as_bytes()));
        match lower_hit {
            Some(i) => {
                rest = Some(&current[i + sep.len()..]);
                Some(&current[..i])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// `X-Amz-Date` as sent, or the `Date` header (RFC 7231) converted to the same form.
fn request_date<H: HeaderSource + ?Sized>(headers: &H) -> Option<String> {
    if let Some(v) = headers.first("x-amz-date") {
        return Some(v.trim().to_owned());
    }
    let date = headers.first("date")?;
    let parsed = chrono::DateTime::parse_from_rfc2822(date.trim()).ok()?;
    Some(
        parsed
            .with_timezone(&chrono::Utc)
            .format("%Y%m%dT%H%M%SZ")
            .to_string(),
    )
}

/// Seconds since the Unix epoch of a `YYYYMMDDTHHMMSSZ` time.
///
/// By hand rather than through chrono's format parser, which costs more than the rest of
/// the date handling on every signed request.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(4..6)?, num(6..8)?)?;
    let time = chrono::NaiveTime::from_hms_opt(num(9..11)?, num(11..13)?, num(13..15)?)?;
    Some(date.and_time(time).and_utc().timestamp())
}

/// The value of query parameter `name`, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    raw_query_param(query, name).map(percent_decode_lossy)
}

fn raw_query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == name).then_some(v)
        })
        .next()
}

/// The signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
/// "aws4_request")`, ready to sign strings to sign.
pub fn signing_key(secret: &[u8], date: &str, region: &str, service: &str) -> hmac::Key {
    let mut first = Vec::with_capacity(4 + secret.len());
    first.extend_from_slice(b"AWS4");
    first.extend_from_slice(secret);
    let k_date = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &first), date.as_bytes());
    zeroize::Zeroize::zeroize(&mut first);
    let k_region = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, k_date.as_ref()),
        region.as_bytes(),
    );
    let k_service = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, k_region.as_ref()),
        service.as_bytes(),
    );
    let k_signing = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, k_service.as_ref()),
        b"aws4_request",
    );
    hmac::Key::new(hmac::HMAC_SHA256, k_signing.as_ref())
}

/// Where canonical text goes: a hash, or a string for an error message.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for digest::Context {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// Gathers small writes and passes them on in blocks: the canonical request is a few dozen
/// short pieces, and each update of a hash has a fixed cost.
struct Buffered<S: Sink> {
    inner: S,
    buf: [u8; 512],
    len: usize,
}

impl<S: Sink> Buffered<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            buf: [0; 512],
            len: 0,
        }
    }

    fn into_inner(mut self) -> S {
        self.inner.put(&self.buf[..self.len]);
        self.inner
    }
}

impl<S: Sink> Sink for Buffered<S> {
    fn put(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > self.buf.len() {
            self.inner.put(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() > self.buf.len() {
                self.inner.put(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Options of canonicalization: KMS normalizes paths (S3 is the one service that does not).
#[derive(Debug, Clone, Copy)]
pub struct Canonicalization {
    /// Remove `.` and `..` segments and repeated slashes from the path.
    pub normalize_path: bool,
    /// Leave `X-Amz-Security-Token` out of a presigned request's canonical query: some signers
    /// add the token after signing (the suite's `post-sts-header-after`).
    pub omit_token_param: bool,
}

impl Default for Canonicalization {
    fn default() -> Self {
        Self {
            normalize_path: true,
            omit_token_param: false,
        }
    }
}

/// The canonical request, as text (for tests and for the error message of a mismatch).
pub fn canonical_request<H: HeaderSource + ?Sized>(
    req: &Request<'_, H>,
    claims: &Claims<'_>,
    payload_hash: &str,
    options: Canonicalization,
) -> String {
    let mut out = Vec::with_capacity(256);
    write_canonical_request(&mut out, req, claims, payload_hash, options);
    String::from_utf8_lossy(&out).into_owned()
}

/// The string to sign, as text.
pub fn string_to_sign(claims: &Claims<'_>, canonical_request_hash: &str) -> String {
    let mut out = Vec::with_capacity(160);
    write_string_to_sign(&mut out, claims, canonical_request_hash.as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

fn write_string_to_sign(out: &mut impl Sink, claims: &Claims<'_>, hash_hex: &[u8]) {
    out.put(ALGORITHM.as_bytes());
    out.put(b"\n");
    out.put(claims.amz_date.as_bytes());
    out.put(b"\n");
    for (i, part) in [
        claims.scope_date,
        claims.region,
        claims.service,
        claims.terminator,
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            out.put(b"/");
        }
        out.put(part.as_bytes());
    }
    out.put(b"\n");
    out.put(hash_hex);
}

fn write_canonical_request<H: HeaderSource + ?Sized>(
    out: &mut impl Sink,
    req: &Request<'_, H>,
    claims: &Claims<'_>,
    payload_hash: &str,
    options: Canonicalization,
) {
    out.put(req.method.as_bytes());
    out.put(b"\n");
    write_canonical_path(out, req.path, options.normalize_path);
    out.put(b"\n");
    write_canonical_query(
        out,
        req.query,
        claims.carrier == Carrier::Query,
        options.omit_token_param,
    );
    out.put(b"\n");
    let signed: std::borrow::Cow<'_, str> = if claims.signed_headers.contains('%') {
        percent_decode_lossy(claims.signed_headers).into()
    } else {
        claims.signed_headers.into()
    };
    for name in signed.split(';') {
        out.put(name.as_bytes());
        out.put(b":");
        write_header_value(out, req.headers, name);
        out.put(b"\n");
    }
    out.put(b"\n");
    out.put(signed.as_bytes());
    out.put(b"\n");
    out.put(payload_hash.as_bytes());
}

/// Every value of the header, each trimmed with inner runs of whitespace made one space,
/// joined by commas.
fn write_header_value<H: HeaderSource + ?Sized>(out: &mut impl Sink, headers: &H, name: &str) {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    for (i, value) in headers.values(name).enumerate() {
        if i > 0 {
            out.put(b",");
        }
        // Runs of non-space bytes, one space between them: one write per word.
        for (j, word) in value.split(is_space).filter(|w| !w.is_empty()).enumerate() {
            if j > 0 {
                out.put(b" ");
            }
            out.put(word);
        }
    }
}

fn write_canonical_path(out: &mut impl Sink, path: &str, normalize: bool) {
    if path.is_empty() || path == "/" {
        out.put(b"/");
        return;
    }
    if !normalize {
        uri_encode(out, path.as_bytes(), false);
        return;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    out.put(b"/");
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.put(b"/");
        }
        uri_encode(out, segment.as_bytes(), true);
    }
    if trailing && !segments.is_empty() {
        out.put(b"/");
    }
}

fn write_canonical_query(out: &mut impl Sink, query: &str, presigned: bool, omit_token: bool) {
    if query.is_empty() {
        return;
    }
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if presigned && (k == "X-Amz-Signature" || omit_token && k == "X-Amz-Security-Token") {
                return None;
            }
            let mut key = Vec::new();
            uri_encode(&mut key, &percent_decode(k), true);
            let mut value = Vec::new();
            uri_encode(&mut value, &percent_decode(v), true);
            Some((key, value))
        })
        .collect();
    pairs.sort();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.put(b"&");
        }
        out.put(k);
        out.put(b"=");
        out.put(v);
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters (and `/` unless
/// `encode_slash`).
fn uri_encode(out: &mut impl Sink, bytes: &[u8], encode_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (b == b'/' && !encode_slash)
        {
            out.put(std::slice::from_ref(&b));
        } else {
            out.put(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

pub(crate) fn percent_decode_lossy(s: &str) -> String {
    String::from_utf8_lossy(&percent_decode(s)).into_owned()
}

/// The hex SHA-256 of `body` into `out` (64 bytes).
pub fn payload_hash(body: &[u8]) -> [u8; 64] {
    hex_of(digest::digest(&digest::SHA256, body).as_ref())
}

fn hex_of(bytes: &[u8]) -> [u8; 64] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'0'; 64];
    for (i, b) in bytes.iter().take(32).enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out
}

/// Whether `claims.signature` is the signature of `req` under `key`, compared in constant
/// time. `payload_hash` is the hex SHA-256 of the body. A presigned request with a session
/// token matches with the token signed or, as some signers add it afterwards, unsigned.
pub fn signature_matches<H: HeaderSource + ?Sized>(
    req: &Request<'_, H>,
    claims: &Claims<'_>,
    payload_hash: &str,
    key: &hmac::Key,
    options: Canonicalization,
) -> bool {
    if signature_matches_as(req, claims, payload_hash, key, options) {
        return true;
    }
    claims.carrier == Carrier::Query
        && claims.session_token.is_some()
        && !options.omit_token_param
        && signature_matches_as(
            req,
            claims,
            payload_hash,
            key,
            Canonicalization {
                omit_token_param: true,
                ..options
            },
        )
}

fn signature_matches_as<H: HeaderSource + ?Sized>(
    req: &Request<'_, H>,
    claims: &Claims<'_>,
    payload_hash: &str,
    key: &hmac::Key,
    options: Canonicalization,
) -> bool {
    let mut hasher = Buffered::new(digest::Context::new(&digest::SHA256));
    write_canonical_request(&mut hasher, req, claims, payload_hash, options);
    let canonical_hash = hex_of(hasher.into_inner().finish().as_ref());
    let mut context = hmac::Context::with_key(key);
    let mut to_sign = Buffered::new(HmacSink(&mut context));
    write_string_to_sign(&mut to_sign, claims, &canonical_hash);
    to_sign.into_inner();
    let expected = hex_of(context.sign().as_ref());
    let given = claims.signature.as_bytes();
    given.len() == expected.len() && subtle::ConstantTimeEq::ct_eq(given, &expected[..]).into()
}

struct HmacSink<'a>(&'a mut hmac::Context);

impl Sink for HmacSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// The message AWS gives for a signature that does not match, with the canonical request and
/// string to sign it expected.
pub fn mismatch_message<H: HeaderSource + ?Sized>(
    req: &Request<'_, H>,
    claims: &Claims<'_>,
    payload_hash: &str,
    options: Canonicalization,
) -> String {
    let canonical = canonical_request(req, claims, payload_hash, options);
    let hash = hex_of(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref());
    let to_sign = string_to_sign(claims, std::str::from_utf8(&hash).unwrap_or_default());
    format!(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n"
    )
}

#[cfg(test)]
mod tests;
