//! STS `GetCallerIdentity`, and nothing else of STS: tools that ask who they are before they
//! call KMS (the Terraform AWS provider learns its account this way) can point their `sts`
//! endpoint at the emulator. AWS's query protocol: `POST /` with a form-encoded body
//! (`Action=GetCallerIdentity&Version=2011-06-15`), answered in XML.
//!
//! A request is STS's when it has no `X-Amz-Target` and its body is form-encoded or its SigV4
//! credential is scoped to `sts`; KMS requests always name their target, so they never get
//! here. The caller is found by the same rules as a KMS request's: under `--auth sigv4` or
//! `enforce` the verified principal (signed for `sts`), otherwise a known access key's
//! principal, else the account a 12-digit access key names or the default account, as its
//! root. Any other `Action` is AWS's `InvalidAction`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use kms_api::Scope;

use crate::AppState;
use crate::credential::{access_key_id, credential, scope_of};
use crate::protocol::{REQUEST_ID_HEADER, verify_signature};

/// The service name STS requests are signed for.
pub const SERVICE: &str = "sts";
/// The only API version of STS.
const VERSION: &str = "2011-06-15";
/// A GetCallerIdentity body is a few dozen bytes; this bounds what is read of anything else.
const BODY_LIMIT: usize = 64 * 1024;

/// Whether a `POST /` is an STS query-protocol request rather than a KMS one.
///
/// ```
/// use axum::http::{HeaderMap, HeaderValue};
/// let mut headers = HeaderMap::new();
/// headers.insert("content-type", HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"));
/// assert!(kms_emulator::sts::is_sts_request(&headers));
/// headers.insert("x-amz-target", HeaderValue::from_static("TrentService.ListKeys"));
/// assert!(!kms_emulator::sts::is_sts_request(&headers));
/// ```
pub fn is_sts_request(headers: &HeaderMap) -> bool {
    if headers.contains_key("x-amz-target") {
        return false;
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.get(..33)
                .is_some_and(|t| t.eq_ignore_ascii_case("application/x-www-form-urlencoded"))
        });
    form || credential(headers).is_some_and(|c| c.service == SERVICE)
}

/// `POST /` for STS: GetCallerIdentity, or AWS's query-protocol error.
pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = uuid::Uuid::new_v4();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "The request body could not be read or is too large.",
            request_id,
        );
    };
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let caller = match caller(&state, &method, &uri, &headers, &body) {
        Ok(caller) => caller,
        Err((status, code, message)) => return error(status, code, &message, request_id),
    };
    match (param("Action"), param("Version")) {
        (Some("GetCallerIdentity"), Some(VERSION) | None) => {
            let body = format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/{VERSION}/\">\n  <GetCallerIdentityResult>\n    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
                escape(&caller.arn),
                escape(&caller.user_id),
                escape(&caller.account),
            );
            xml(StatusCode::OK, body, request_id)
        }
        (None, _) => error(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            "The request has no Action parameter (STS here answers Action=GetCallerIdentity only).",
            request_id,
        ),
        (Some(action), version) => error(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            &format!(
                "Could not find operation {action} for version {}",
                version.unwrap_or(VERSION)
            ),
            request_id,
        ),
    }
}

/// Who GetCallerIdentity names.
struct Caller {
    arn: String,
    user_id: String,
    account: String,
}

/// The caller by the module's rules, or the authentication error as STS names it.
fn caller(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Caller, (StatusCode, &'static str, String)> {
    let auth = &state.config.auth;
    let principal = if auth.verifies() {
        let verified =
            verify_signature(state, SERVICE, method, uri, headers, body).map_err(|e| {
                let (status, code) = sts_error(e.code);
                (status, code, e.message)
            })?;
        Some(verified.principal)
    } else {
        access_key_id(headers).and_then(|id| auth.principals().get(id))
    };
    Ok(match principal {
        Some(p) => Caller {
            arn: p.arn.clone(),
            user_id: p.identity.user_id().to_owned(),
            account: p.account.clone(),
        },
        None => {
            let scope: Scope = scope_of(headers, &state.config);
            Caller {
                arn: format!("arn:{}:iam::{}:root", scope.partition(), scope.account()),
                user_id: scope.account().to_owned(),
                account: scope.account().to_owned(),
            }
        }
    })
}

/// A SigV4 failure's status and code as STS's query protocol gives them.
fn sts_error(code: &str) -> (StatusCode, &'static str) {
    match code {
        "MissingAuthenticationTokenException" => {
            (StatusCode::FORBIDDEN, "MissingAuthenticationToken")
        }
        "IncompleteSignatureException" => (StatusCode::BAD_REQUEST, "IncompleteSignature"),
        "UnrecognizedClientException" => (StatusCode::FORBIDDEN, "InvalidClientTokenId"),
        _ => (StatusCode::FORBIDDEN, "SignatureDoesNotMatch"),
    }
}

/// AWS's query-protocol error document.
fn error(status: StatusCode, code: &str, message: &str, request_id: uuid::Uuid) -> Response {
    let kind = if status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/{VERSION}/\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        escape(message)
    );
    xml(status, body, request_id)
}

fn xml(status: StatusCode, body: String, request_id: uuid::Uuid) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(&request_id.to_string()) {
        headers.insert(REQUEST_ID_HEADER, id);
    }
    response
}

/// Text as XML character data.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sts_requests_are_told_from_kms_ones() {
        let mut headers = HeaderMap::new();
        assert!(!is_sts_request(&headers));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20261208/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00",
            ),
        );
        assert!(is_sts_request(&headers));
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("TrentService.ListKeys"),
        );
        assert!(!is_sts_request(&headers));
        let mut kms = HeaderMap::new();
        kms.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20261208/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00",
            ),
        );
        kms.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        assert!(!is_sts_request(&kms));
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(escape("a<b>&'\""), "a&lt;b&gt;&amp;&apos;&quot;");
    }
}
