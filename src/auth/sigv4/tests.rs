//! The verifier against AWS's SigV4 test suite (`tests/data/aws-signing-test-suite/v4`,
//! vendored from awslabs/aws-c-auth): for every case, the canonical request and the string to
//! sign are the suite's, the signed request verifies, and any change to it does not.

use std::path::{Path, PathBuf};

use super::*;

struct Case {
    name: String,
    dir: PathBuf,
    secret: String,
    region: String,
    service: String,
    normalize: bool,
    omit_token: bool,
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aws-signing-test-suite/v4");
    let mut cases: Vec<Case> = std::fs::read_dir(&root)
        .expect("vendored SigV4 suite")
        .map(|entry| {
            let dir = entry.unwrap().path();
            let context: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.join("context.json")).unwrap()).unwrap();
            Case {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                secret: context["credentials"]["secret_access_key"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                region: context["region"].as_str().unwrap().to_owned(),
                service: context["service"].as_str().unwrap().to_owned(),
                normalize: context["normalize"].as_bool().unwrap(),
                omit_token: context["omit_session_token"].as_bool().unwrap_or(false),
                dir,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    cases
}

/// A request in the suite's text form: request line, `Name:value` lines (a line starting with
/// whitespace continues the previous value), a blank line, the body.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

fn parse_raw(text: &str) -> RawRequest {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    let target = rest.strip_suffix(" HTTP/1.1").unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.1.push(b'\n');
            last.1.extend_from_slice(line.as_bytes());
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_owned(), value.as_bytes().to_vec()));
        }
    }
    RawRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn read(case: &Case, file: &str) -> String {
    std::fs::read_to_string(case.dir.join(file)).unwrap()
}

fn verify(case: &Case, raw: &RawRequest) -> Result<(String, String, bool), AuthError> {
    let req = Request {
        method: &raw.method,
        path: &raw.path,
        query: &raw.query,
        headers: raw.headers.as_slice(),
        body: &raw.body,
    };
    let claims = parse(&req)?.expect("signed");
    let hash = payload_hash(&raw.body);
    let hash = std::str::from_utf8(&hash).unwrap();
    let options = Canonicalization {
        normalize_path: case.normalize,
        omit_token_param: case.omit_token,
    };
    let canonical = canonical_request(&req, &claims, hash, options);
    let canonical_hash = payload_hash(canonical.as_bytes());
    let to_sign = string_to_sign(&claims, std::str::from_utf8(&canonical_hash).unwrap());
    let key = signing_key(
        case.secret.as_bytes(),
        claims.scope_date,
        &case.region,
        &case.service,
    );
    let ok = signature_matches(&req, &claims, hash, &key, options);
    Ok((canonical, to_sign, ok))
}

#[test]
fn every_suite_case_verifies_with_the_suites_canonical_request() {
    for case in cases() {
        for carrier in ["header", "query"] {
            let raw = parse_raw(&read(&case, &format!("{carrier}-signed-request.txt")));
            let (canonical, to_sign, ok) =
                verify(&case, &raw).unwrap_or_else(|e| panic!("{} {carrier}: {e:?}", case.name));
            assert_eq!(
                canonical,
                read(&case, &format!("{carrier}-canonical-request.txt")),
                "{} {carrier}: canonical request",
                case.name
            );
            assert_eq!(
                to_sign,
                read(&case, &format!("{carrier}-string-to-sign.txt")),
                "{} {carrier}: string to sign",
                case.name
            );
            assert!(ok, "{} {carrier}: signature refused", case.name);
        }
    }
}

#[test]
fn any_change_to_a_signed_suite_request_is_refused() {
    for case in cases() {
        for carrier in ["header", "query"] {
            let original = parse_raw(&read(&case, &format!("{carrier}-signed-request.txt")));
            let mut changes: Vec<(&str, RawRequest)> = Vec::new();
            let mut method = parse_raw(&read(&case, &format!("{carrier}-signed-request.txt")));
            method.method = if original.method == "GET" {
                "POST"
            } else {
                "GET"
            }
            .into();
            changes.push(("method", method));
            let mut body = parse_raw(&read(&case, &format!("{carrier}-signed-request.txt")));
            body.body.extend_from_slice(b"x");
            changes.push(("body", body));
            let mut path = parse_raw(&read(&case, &format!("{carrier}-signed-request.txt")));
            path.path.push_str("extra");
            changes.push(("path", path));
            let mut host = parse_raw(&read(&case, &format!("{carrier}-signed-request.txt")));
            for (name, value) in &mut host.headers {
                if name.eq_ignore_ascii_case("host") {
                    value.extend_from_slice(b".evil");
                }
            }
            changes.push(("host", host));
            let mut query = parse_raw(&read(&case, &format!("{carrier}-signed-request.txt")));
            query.query = if query.query.is_empty() {
                "a=b".into()
            } else {
                format!("{}&a=b", query.query)
            };
            changes.push(("query", query));
            let mut secret_case = Case {
                secret: format!("{}x", case.secret),
                name: case.name.clone(),
                dir: case.dir.clone(),
                region: case.region.clone(),
                service: case.service.clone(),
                normalize: case.normalize,
                omit_token: case.omit_token,
            };
            let (_, _, ok) = verify(&secret_case, &original).unwrap();
            assert!(!ok, "{} {carrier}: a wrong secret verified", case.name);
            secret_case.secret.clone_from(&case.secret);
            secret_case.region = "us-west-2".into();
            let (_, _, ok) = verify(&secret_case, &original).unwrap();
            assert!(
                !ok,
                "{} {carrier}: a key for another Region verified",
                case.name
            );
            for (what, changed) in changes {
                let (_, _, ok) = verify(&case, &changed).unwrap();
                assert!(!ok, "{} {carrier}: a changed {what} verified", case.name);
            }
        }
    }
}

#[test]
fn a_flipped_signature_digit_is_refused() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "post-vanilla")
        .unwrap();
    let text = read(&case, "header-signed-request.txt");
    let signature = read(&case, "header-signature.txt");
    let last = signature.trim().chars().last().unwrap();
    let flipped_sig = format!(
        "{}{}",
        &signature.trim()[..63],
        if last == '0' { '1' } else { '0' }
    );
    let raw = parse_raw(&text.replace(signature.trim(), &flipped_sig));
    let (_, _, ok) = verify(&case, &raw).unwrap();
    assert!(!ok);
    // Upper-case hex is not the signature either (AWS compares the lower-case text).
    let raw = parse_raw(&text.replace(signature.trim(), &signature.trim().to_uppercase()));
    assert!(!verify(&case, &raw).unwrap().2);
    // Nor is a prefix.
    let raw = parse_raw(&text.replace(signature.trim(), &signature.trim()[..32]));
    assert!(!verify(&case, &raw).unwrap().2);
}

#[test]
fn malformed_authorization_headers_are_incomplete_signatures() {
    let headers = vec![
        ("Host".to_owned(), b"kms.us-east-1.amazonaws.com".to_vec()),
        ("X-Amz-Date".to_owned(), b"20261203T120000Z".to_vec()),
    ];
    let request = |auth: &str| {
        let mut headers = headers.clone();
        headers.push(("Authorization".to_owned(), auth.as_bytes().to_vec()));
        headers
    };
    let cases = [
        (
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
            "Authorization header requires 'Credential' parameter.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/kms/aws4_request, Signature=00",
            "Authorization header requires 'SignedHeaders' parameter.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/kms/aws4_request, SignedHeaders=host",
            "Authorization header requires 'Signature' parameter.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1, SignedHeaders=host, Signature=00",
            "Credential must have exactly 5 slash-delimited elements",
        ),
        (
            "AWS4-HMAC-SHA1 Credential=AKID",
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now). ",
        ),
    ];
    for (auth, expected) in cases {
        let headers = request(auth);
        let req = Request {
            method: "POST",
            path: "/",
            query: "",
            headers: headers.as_slice(),
            body: b"{}",
        };
        let err = parse(&req).expect_err(auth);
        assert_eq!(err.code, "IncompleteSignatureException", "{auth}");
        assert!(err.message.contains(expected), "{auth}: {}", err.message);
    }
    // Without any date header, the message says so.
    let headers = vec![(
        "Authorization".to_owned(),
        b"AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00".to_vec(),
    )];
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: headers.as_slice(),
        body: b"",
    };
    let err = parse(&req).unwrap_err();
    assert!(
        err.message
            .contains("requires existence of either a 'X-Amz-Date' or a 'Date' header"),
        "{}",
        err.message
    );
    // An unsigned request has no claims.
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers[..0],
        body: b"",
    };
    assert_eq!(parse(&req).unwrap(), None);
}

#[test]
fn amz_dates_parse_to_epoch_seconds() {
    assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
    assert_eq!(parse_amz_date("20150830T1236Z"), None);
    assert_eq!(parse_amz_date("not a date"), None);
    assert_eq!(parse_amz_date("20151330T123600Z"), None);
    assert_eq!(parse_amz_date("20150830T123660Z"), None);
    assert_eq!(parse_amz_date("2015083aT123600Z"), None);
    assert_eq!(parse_amz_date("20150830 123600Z"), None);
    assert_eq!(parse_amz_date("+2015830T123600Z"), None);
    assert_eq!(parse_amz_date("20161231T235959Z"), Some(1_483_228_799));
}

#[test]
fn odd_signed_header_names_and_paths_never_panic() {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("host", "localhost".parse().unwrap());
    headers.insert("x-amz-date", "20261203T120000Z".parse().unwrap());
    for signed in [
        "host;bad name",
        "host;;",
        ";",
        "host;\u{e9}t\u{e9}",
        "host;x%3By",
        "",
    ] {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=A%2F20261203%2Fus-east-1%2Fkms%2Faws4_request/x, SignedHeaders={signed}, Signature=00"
        );
        headers.insert("authorization", auth.parse().unwrap());
        for path in ["/", "/../..", "//a/./b/", "/%zz%", "/\u{e9}"] {
            for query in [
                "",
                "a",
                "%",
                "a=%G1&&b",
                "X-Amz-Signature=1&X-Amz-Algorithm=AWS4-HMAC-SHA256",
            ] {
                let req = Request {
                    method: "POST",
                    path,
                    query,
                    headers: &headers,
                    body: b"{}",
                };
                if let Ok(Some(claims)) = parse(&req) {
                    let key = signing_key(b"k", claims.scope_date, claims.region, "kms");
                    let hash = payload_hash(b"{}");
                    let hash = std::str::from_utf8(&hash).unwrap();
                    assert!(!signature_matches(
                        &req,
                        &claims,
                        hash,
                        &key,
                        Canonicalization::default()
                    ));
                    let _ = mismatch_message(&req, &claims, hash, Canonicalization::default());
                }
            }
        }
    }
}
