//! [`Authenticator::verify`]'s rules: scope, time, access key, session token, payload hash.
//! Requests are signed here with the `sigv4` module's own pieces, which the vendored AWS test
//! suite checks (`sigv4/tests.rs`); the real SDKs sign in the integration tests.

use super::*;

const NOW: i64 = 1_796_300_000; // 2026-12-03T...
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn authenticator() -> Authenticator {
    let mut principals = Principals::new();
    principals
        .add(
            Principal::parse_short(&format!(
                "AKIAALICE:{SECRET}:arn:aws:iam::111122223333:user/alice"
            ))
            .unwrap(),
        )
        .unwrap();
    principals
        .add_file_text(
            &format!(
                r#"{{"principals": [{{"access_key_id": "ASIATEMP", "secret_access_key": "{SECRET}",
                 "session_token": "the-token", "arn": "arn:aws:sts::444455556666:assumed-role/App/s1"}}]}}"#
            ),
            std::path::Path::new("."),
        )
        .unwrap();
    Authenticator::new(AuthMode::Sigv4, principals)
}

struct Signing<'a> {
    access_key_id: &'a str,
    secret: &'a str,
    time: i64,
    region: &'a str,
    service: &'a str,
    token: Option<&'a str>,
    body: &'a [u8],
    /// More headers, signed.
    extra: &'a [(&'a str, &'a str)],
}

impl Default for Signing<'_> {
    fn default() -> Self {
        Self {
            access_key_id: "AKIAALICE",
            secret: SECRET,
            time: NOW,
            region: "us-east-1",
            service: "kms",
            token: None,
            body: b"{}",
            extra: &[],
        }
    }
}

fn amz_date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// Headers of a request signed as `s` says.
fn signed(s: &Signing<'_>) -> Vec<(String, Vec<u8>)> {
    let date = amz_date(s.time);
    let mut headers = vec![
        ("Host".to_owned(), b"localhost:4566".to_vec()),
        ("X-Amz-Date".to_owned(), date.as_bytes().to_vec()),
        ("X-Amz-Target".to_owned(), b"TrentService.ListKeys".to_vec()),
    ];
    if let Some(token) = s.token {
        headers.push(("X-Amz-Security-Token".to_owned(), token.as_bytes().to_vec()));
    }
    for (name, value) in s.extra {
        headers.push(((*name).to_owned(), value.as_bytes().to_vec()));
    }
    let mut names: Vec<String> = headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    let signed_names = names.join(";");
    let credential = format!(
        "{}/{}/{}/{}/aws4_request",
        s.access_key_id,
        &date[..8],
        s.region,
        s.service
    );
    let placeholder = format!(
        "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed_names}, Signature=00"
    );
    headers.push(("Authorization".to_owned(), placeholder.into_bytes()));
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: headers.as_slice(),
        body: s.body,
    };
    let claims = sigv4::parse(&req).unwrap().unwrap();
    let hash = sigv4::payload_hash(s.body);
    let canonical = sigv4::canonical_request(
        &req,
        &claims,
        std::str::from_utf8(&hash).unwrap(),
        Default::default(),
    );
    let canonical_hash = sigv4::payload_hash(canonical.as_bytes());
    let to_sign = sigv4::string_to_sign(&claims, std::str::from_utf8(&canonical_hash).unwrap());
    let key = sigv4::signing_key(s.secret.as_bytes(), &date[..8], s.region, s.service);
    let signature: String = aws_lc_rs::hmac::sign(&key, to_sign.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed_names}, Signature={signature}"
    );
    headers.last_mut().unwrap().1 = auth.into_bytes();
    headers
}

fn verify(
    auth: &Authenticator,
    headers: &[(String, Vec<u8>)],
    body: &[u8],
    now: &[i64],
) -> Result<String, AuthError> {
    let clocks: Vec<Box<dyn Fn() -> i64>> = now
        .iter()
        .map(|&n| Box::new(move || n) as Box<dyn Fn() -> i64>)
        .collect();
    let clocks: Vec<&dyn Fn() -> i64> = clocks.iter().map(|c| c.as_ref()).collect();
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers,
        body,
    };
    auth.verify(&req, &clocks)
        .map(|v| format!("{} {}", v.principal.arn, v.region))
}

#[test]
fn a_good_signature_names_its_principal_and_region() {
    let auth = authenticator();
    let headers = signed(&Signing {
        region: "eu-west-2",
        ..Default::default()
    });
    assert_eq!(
        verify(&auth, &headers, b"{}", &[NOW]).unwrap(),
        "arn:aws:iam::111122223333:user/alice eu-west-2"
    );
    // Twice (the cached signing key), and after another Region's key was cached.
    verify(&auth, &signed(&Signing::default()), b"{}", &[NOW]).unwrap();
    verify(&auth, &headers, b"{}", &[NOW]).unwrap();
}

#[test]
fn a_wrong_secret_or_a_changed_body_is_a_signature_mismatch() {
    let auth = authenticator();
    let headers = signed(&Signing {
        secret: "not-the-secret",
        ..Default::default()
    });
    let err = verify(&auth, &headers, b"{}", &[NOW]).unwrap_err();
    assert_eq!(err.code, "InvalidSignatureException");
    assert!(
        err.message.starts_with(
            "The request signature we calculated does not match the signature you provided."
        ),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains("The Canonical String for this request should have been\n'POST\n/\n"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("not-the-secret") && !err.message.contains(SECRET));
    let headers = signed(&Signing::default());
    let err = verify(&auth, &headers, br#"{"Limit": 1}"#, &[NOW]).unwrap_err();
    assert_eq!(err.code, "InvalidSignatureException");
}

#[test]
fn unknown_access_keys_and_wrong_session_tokens_are_unrecognized_clients() {
    let auth = authenticator();
    let unknown = signed(&Signing {
        access_key_id: "AKIAMALLORY",
        ..Default::default()
    });
    let err = verify(&auth, &unknown, b"{}", &[NOW]).unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (
            "UnrecognizedClientException",
            "The security token included in the request is invalid."
        )
    );
    // The temporary credential needs its token; Alice's must not carry one.
    let with_token = |id, token| {
        signed(&Signing {
            access_key_id: id,
            token,
            ..Default::default()
        })
    };
    assert_eq!(
        verify(
            &auth,
            &with_token("ASIATEMP", Some("the-token")),
            b"{}",
            &[NOW]
        )
        .unwrap(),
        "arn:aws:sts::444455556666:assumed-role/App/s1 us-east-1"
    );
    for (id, token) in [
        ("ASIATEMP", None),
        ("ASIATEMP", Some("another-token")),
        ("AKIAALICE", Some("the-token")),
    ] {
        let err = verify(&auth, &with_token(id, token), b"{}", &[NOW]).unwrap_err();
        assert_eq!(err.code, "UnrecognizedClientException", "{id} {token:?}");
    }
}

#[test]
fn signatures_are_current_for_fifteen_minutes_either_side_of_either_clock() {
    let auth = authenticator();
    let at = |t| {
        signed(&Signing {
            time: t,
            ..Default::default()
        })
    };
    for offset in [-900, -1, 0, 1, 900] {
        verify(&auth, &at(NOW + offset), b"{}", &[NOW]).unwrap();
    }
    let err = verify(&auth, &at(NOW - 901), b"{}", &[NOW]).unwrap_err();
    assert_eq!(err.code, "InvalidSignatureException");
    assert_eq!(
        err.message,
        format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            amz_date(NOW - 901),
            amz_date(NOW - 900),
            amz_date(NOW)
        )
    );
    let err = verify(&auth, &at(NOW + 901), b"{}", &[NOW]).unwrap_err();
    assert!(
        err.message.starts_with("Signature not yet current:"),
        "{}",
        err.message
    );
    // The emulated clock 90 days ahead: the host's time still counts, and so does the emulated.
    let ahead = NOW + 90 * 86_400;
    verify(&auth, &at(NOW), b"{}", &[ahead, NOW]).unwrap();
    verify(&auth, &at(ahead), b"{}", &[ahead, NOW]).unwrap();
    assert!(verify(&auth, &at(NOW + 45 * 86_400), b"{}", &[ahead, NOW]).is_err());
}

#[test]
fn the_credential_scope_must_be_kms_on_the_requests_date() {
    let auth = authenticator();
    let headers = signed(&Signing {
        service: "s3",
        ..Default::default()
    });
    let err = verify(&auth, &headers, b"{}", &[NOW]).unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'kms'."
        )
    );
    let headers = signed(&Signing {
        region: "mars-east-1",
        service: "s3",
        ..Default::default()
    });
    assert_eq!(
        verify(&auth, &headers, b"{}", &[NOW]).unwrap_err().message,
        "Credential should be scoped to a valid region, not 'mars-east-1'. Credential should be scoped to correct service: 'kms'."
    );
    // A scope date that is not the X-Amz-Date's day.
    let mut headers = signed(&Signing::default());
    let date = amz_date(NOW);
    let next_day = amz_date(NOW + 86_400);
    for (name, value) in &mut headers {
        if name == "Authorization" {
            *value = String::from_utf8(value.clone())
                .unwrap()
                .replace(&date[..8], &next_day[..8])
                .into_bytes();
        }
    }
    let err = verify(&auth, &headers, b"{}", &[NOW]).unwrap_err();
    assert!(
        err.message
            .starts_with("Date in Credential scope does not match YYYYMMDD"),
        "{}",
        err.message
    );
    // No signature at all.
    let unsigned = vec![("Host".to_owned(), b"localhost".to_vec())];
    let err = verify(&auth, &unsigned, b"{}", &[NOW]).unwrap_err();
    assert_eq!(err.code, "MissingAuthenticationTokenException");
}

#[test]
fn a_declared_payload_hash_must_be_the_bodys() {
    let auth = authenticator();
    let headers = signed(&Signing {
        extra: &[("x-amz-content-sha256", sigv4::EMPTY_PAYLOAD_SHA256)],
        ..Default::default()
    });
    let err = verify(&auth, &headers, b"{}", &[NOW]).unwrap_err();
    assert!(
        err.message.contains("x-amz-content-sha256"),
        "{}",
        err.message
    );
    let hash = sigv4::payload_hash(b"{}");
    let headers = signed(&Signing {
        extra: &[("x-amz-content-sha256", std::str::from_utf8(&hash).unwrap())],
        ..Default::default()
    });
    verify(&auth, &headers, b"{}", &[NOW]).unwrap();
}

/// SigV4 covers `host`, `Content-Type` when present and every `X-Amz-*` header: a header
/// added or changed after signing is refused before the signature is even compared, so a
/// signed DescribeKey cannot be resent as another operation.
#[test]
fn every_x_amz_header_and_the_content_type_must_be_signed() {
    let auth = authenticator();
    let with = |headers: &mut Vec<(String, Vec<u8>)>, name: &str, value: &str| {
        headers.insert(0, (name.to_owned(), value.as_bytes().to_vec()));
    };
    let check = |headers: &[(String, Vec<u8>)], expected: &str| {
        let err = verify(&auth, headers, b"{}", &[NOW]).unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            ("InvalidSignatureException", expected)
        );
    };
    // The signature covers X-Amz-Target only if the signer listed it.
    let mut headers = signed(&Signing::default());
    for (name, value) in &mut headers {
        if name == "Authorization" {
            *value = String::from_utf8(value.clone())
                .unwrap()
                .replace("x-amz-date;x-amz-target", "x-amz-date")
                .into_bytes();
        }
    }
    check(
        &headers,
        "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
    );
    // An unsigned header added after signing, whatever its case.
    for (name, expected) in [
        ("x-amz-security-token", "X-Amz-Security-Token"),
        ("X-AMZ-Foo", "X-Amz-Foo"),
        ("Content-Type", "Content-Type"),
    ] {
        let mut headers = signed(&Signing::default());
        with(&mut headers, name, "v");
        check(
            &headers,
            &format!("'{expected}' must be a 'SignedHeader' in the AWS Authorization."),
        );
    }
    // Other headers need not be signed, and signed ones pass.
    let mut headers = signed(&Signing {
        extra: &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-User-Agent", "sdk"),
        ],
        ..Default::default()
    });
    with(&mut headers, "User-Agent", "curl");
    with(&mut headers, "amz-sdk-request", "attempt=1");
    verify(&auth, &headers, b"{}", &[NOW]).unwrap();
}

#[test]
fn modes_parse() {
    assert_eq!("none".parse::<AuthMode>(), Ok(AuthMode::None));
    assert_eq!("sigv4".parse::<AuthMode>(), Ok(AuthMode::Sigv4));
    assert!("enforce-ish".parse::<AuthMode>().is_err());
    assert!(!Authenticator::default().verifies());
}
