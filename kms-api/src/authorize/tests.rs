//! The evaluation logic end to end through `dispatch_as`: key policy, delegation to identity
//! policies, cross-account, encryption-context conditions, grants, the lockout check.

use serde_json::{Value, json};

use super::*;

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";

fn scope(account: &str) -> Scope {
    Scope::new(account, "us-east-1")
}

fn admin_policy() -> Policy {
    Policy::parse_identity_policy(
        r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#,
    )
    .unwrap()
}

fn user(account: &str, name: &str, policies: Vec<Policy>) -> Identity {
    Identity::new(format!("arn:aws:iam::{account}:user/{name}"), policies)
}

fn call(kms: &Kms, who: &Identity, op: Operation, body: Value) -> Result<Value, KmsError> {
    let out = kms.dispatch_as(
        &scope(who.account()),
        &Caller::new(who),
        op,
        body.to_string().as_bytes(),
    )?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn new_key(kms: &Kms, admin: &Identity, policy: Option<String>) -> String {
    let body = match policy {
        Some(p) => json!({"Policy": p}),
        None => json!({}),
    };
    let out = call(kms, admin, Operation::CreateKey, body).unwrap();
    out["KeyMetadata"]["Arn"].as_str().unwrap().to_owned()
}

fn denied(result: Result<Value, KmsError>) -> String {
    match result {
        Err(KmsError::AccessDenied(m)) => m,
        other => panic!("not denied: {other:?}"),
    }
}

#[test]
fn default_policy_delegates_to_identity_policies() {
    let kms = Kms::new();
    let admin = user(ACCOUNT, "admin", vec![admin_policy()]);
    let key = new_key(&kms, &admin, None);
    let body = json!({"KeyId": key, "KeySpec": "AES_256"});
    assert!(call(&kms, &admin, Operation::GenerateDataKey, body.clone()).is_ok());
    let bare = user(ACCOUNT, "bare", Vec::new());
    let m = denied(call(&kms, &bare, Operation::GenerateDataKey, body));
    assert_eq!(
        m,
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/bare is not authorized to perform: kms:GenerateDataKey on resource: {key} because no identity-based policy allows the kms:GenerateDataKey action"
        )
    );
    // Without identity policies, keyless operations are denied too.
    let m = denied(call(&kms, &bare, Operation::ListKeys, json!({})));
    assert!(
        m.contains("kms:ListKeys") && m.contains("no identity-based policy"),
        "{m}"
    );
}

#[test]
fn a_key_policy_naming_a_user_allows_it_alone() {
    let kms = Kms::new();
    let admin = user(ACCOUNT, "admin", vec![admin_policy()]);
    let policy = json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/reader")}, "Action": "kms:Decrypt", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalArn": format!("arn:aws:iam::{ACCOUNT}:user/mallory")}}}
    ]});
    let key = new_key(&kms, &admin, Some(policy.to_string()));
    let ct = call(
        &kms,
        &admin,
        Operation::Encrypt,
        json!({"KeyId": key, "Plaintext": "aGVsbG8="}),
    )
    .unwrap();
    let blob = ct["CiphertextBlob"].clone();
    let reader = user(ACCOUNT, "reader", Vec::new());
    // Decrypt without a KeyId finds the key from the blob.
    assert!(
        call(
            &kms,
            &reader,
            Operation::Decrypt,
            json!({"CiphertextBlob": blob})
        )
        .is_ok()
    );
    let m = denied(call(
        &kms,
        &reader,
        Operation::Encrypt,
        json!({"KeyId": key, "Plaintext": "aGVsbG8="}),
    ));
    assert!(
        m.ends_with("because no identity-based policy allows the kms:Encrypt action"),
        "{m}"
    );
    let mallory = user(ACCOUNT, "mallory", vec![admin_policy()]);
    let m = denied(call(
        &kms,
        &mallory,
        Operation::Decrypt,
        json!({"CiphertextBlob": blob}),
    ));
    assert!(
        m.ends_with(&format!(
            "on resource: {key} with an explicit deny in a resource-based policy"
        )),
        "{m}"
    );
}

#[test]
fn cross_account_needs_both_policies() {
    let kms = Kms::new();
    let admin = user(ACCOUNT, "admin", vec![admin_policy()]);
    let policy = json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{OTHER}:root")}, "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"}
    ]});
    let key = new_key(&kms, &admin, Some(policy.to_string()));
    let body = json!({"KeyId": key, "Plaintext": "aGVsbG8="});
    let outsider = user(OTHER, "app", Vec::new());
    let m = denied(call(&kms, &outsider, Operation::Encrypt, body.clone()));
    assert!(m.contains("no identity-based policy"), "{m}");
    let allowed = user(OTHER, "app", vec![Policy::parse_identity_policy(&format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:*:{ACCOUNT}:key/*"}}}}"#
    )).unwrap()]);
    assert!(call(&kms, &allowed, Operation::Encrypt, body).is_ok());
    let m = denied(call(
        &kms,
        &allowed,
        Operation::DescribeKey,
        json!({"KeyId": key}),
    ));
    assert!(
        m.contains("no identity-based policy allows the kms:DescribeKey"),
        "{m}"
    );
    // A third account is named nowhere.
    let third = user("777788889999", "x", vec![admin_policy()]);
    let m = denied(call(
        &kms,
        &third,
        Operation::DescribeKey,
        json!({"KeyId": key}),
    ));
    assert!(m.contains("no resource-based policy"), "{m}");
}

#[test]
fn encryption_context_conditions_bind() {
    let kms = Kms::new();
    let admin = user(ACCOUNT, "admin", vec![admin_policy()]);
    let policy = json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "kms:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalArn": format!("arn:aws:iam::{ACCOUNT}:user/admin")}}},
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/app")}, "Action": "kms:GenerateDataKey", "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "blue"}}}
    ]});
    let key = new_key(&kms, &admin, Some(policy.to_string()));
    let app = user(ACCOUNT, "app", Vec::new());
    let gdk = |ctx: Value| {
        call(
            &kms,
            &app,
            Operation::GenerateDataKey,
            json!({"KeyId": key, "KeySpec": "AES_256", "EncryptionContext": ctx}),
        )
    };
    assert!(gdk(json!({"tenant": "blue"})).is_ok());
    // The context key matches whatever its case; the value does not.
    assert!(gdk(json!({"Tenant": "blue"})).is_ok());
    denied(gdk(json!({"tenant": "Blue"})));
    denied(gdk(json!({"tenant": "red"})));
    denied(gdk(json!({})));
}

#[test]
fn grants_allow_under_constraints_until_retired() {
    let kms = Kms::new();
    let admin = user(ACCOUNT, "admin", vec![admin_policy()]);
    let key = new_key(&kms, &admin, None);
    let service = user(OTHER, "service", Vec::new());
    let grant = call(
        &kms,
        &admin,
        Operation::CreateGrant,
        json!({
            "KeyId": key, "GranteePrincipal": service.arn(), "RetiringPrincipal": service.arn(),
            "Operations": ["Encrypt", "Decrypt", "RetireGrant"],
            "Constraints": {"EncryptionContextSubset": {"bucket": "logs"}}
        }),
    )
    .unwrap();
    let encrypt = |ctx: Value| {
        call(
            &kms,
            &service,
            Operation::Encrypt,
            json!({"KeyId": key, "Plaintext": "aGk=", "EncryptionContext": ctx}),
        )
    };
    assert!(encrypt(json!({"bucket": "logs", "object": "a"})).is_ok());
    denied(encrypt(json!({"bucket": "other"})));
    denied(call(
        &kms,
        &service,
        Operation::DescribeKey,
        json!({"KeyId": key}),
    ));
    // The grantee retires the grant by its token; then nothing is allowed.
    call(
        &kms,
        &service,
        Operation::RetireGrant,
        json!({"GrantToken": grant["GrantToken"]}),
    )
    .unwrap();
    denied(encrypt(json!({"bucket": "logs"})));
}

#[test]
fn the_lockout_safety_check() {
    let kms = Kms::new();
    let admin = user(ACCOUNT, "admin", vec![admin_policy()]);
    let locks_out = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/someone-else")}, "Action": "kms:*", "Resource": "*"}]}).to_string();
    let err = call(
        &kms,
        &admin,
        Operation::CreateKey,
        json!({"Policy": locks_out}),
    )
    .unwrap_err();
    assert_eq!(err.aws_type(), "MalformedPolicyDocumentException");
    assert_eq!(
        err.message(),
        "The new key policy will not allow you to update the key policy in the future."
    );
    assert!(
        call(
            &kms,
            &admin,
            Operation::CreateKey,
            json!({"Policy": locks_out, "BypassPolicyLockoutSafetyCheck": true})
        )
        .is_ok()
    );
    let key = new_key(&kms, &admin, None);
    let err = call(
        &kms,
        &admin,
        Operation::PutKeyPolicy,
        json!({"KeyId": key, "PolicyName": "default", "Policy": locks_out}),
    )
    .unwrap_err();
    assert_eq!(err.aws_type(), "MalformedPolicyDocumentException");
    let keeps = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": admin.arn()}, "Action": "kms:*", "Resource": "*"}]}).to_string();
    assert!(
        call(
            &kms,
            &admin,
            Operation::PutKeyPolicy,
            json!({"KeyId": key, "PolicyName": "default", "Policy": keeps})
        )
        .is_ok()
    );
}

#[test]
fn aliases_need_the_alias_and_the_key() {
    let kms = Kms::new();
    let admin = user(ACCOUNT, "admin", vec![admin_policy()]);
    let key = new_key(&kms, &admin, None);
    let keys_only = user(
        ACCOUNT,
        "keys-only",
        vec![Policy::parse_identity_policy(
        r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/*"}}"#,
    ).unwrap()],
    );
    let m = denied(call(
        &kms,
        &keys_only,
        Operation::CreateAlias,
        json!({"AliasName": "alias/app", "TargetKeyId": key}),
    ));
    assert!(
        m.contains(&format!(
            "on resource: arn:aws:kms:us-east-1:{ACCOUNT}:alias/app"
        )),
        "{m}"
    );
    call(
        &kms,
        &admin,
        Operation::CreateAlias,
        json!({"AliasName": "alias/app", "TargetKeyId": key}),
    )
    .unwrap();
    // kms:RequestAlias sees the alias a request names its key by.
    let by_alias = user(ACCOUNT, "by-alias", vec![Policy::parse_identity_policy(
        r#"{"Statement":{"Effect":"Allow","Action":"kms:DescribeKey","Resource":"*","Condition":{"StringEquals":{"kms:RequestAlias":"alias/app"}}}}"#,
    ).unwrap()]);
    assert!(
        call(
            &kms,
            &by_alias,
            Operation::DescribeKey,
            json!({"KeyId": "alias/app"})
        )
        .is_ok()
    );
    denied(call(
        &kms,
        &by_alias,
        Operation::DescribeKey,
        json!({"KeyId": key}),
    ));
}

/// One condition key tested through a real request: the key policy lets `app` in under
/// `{operator: {key: good}}`; the same request is denied under `{operator: {key: bad}}`.
struct KeyCase {
    key: &'static str,
    operator: &'static str,
    good: Value,
    bad: Value,
    /// CreateKey's body for the key the request acts on.
    create: Value,
    op: Operation,
    /// The request; `{key}` stands for the key's ARN and `{alias}` for its alias.
    request: &'static str,
}

fn key_cases() -> Vec<KeyCase> {
    use Operation as O;
    let gdk = r#"{"KeyId":"{key}","KeySpec":"AES_256","EncryptionContext":{"tenant":"blue"}}"#;
    let describe = r#"{"KeyId":"{key}"}"#;
    let symmetric = json!({});
    let case = |key, operator, good: Value, bad: Value, create: &Value, op, request| KeyCase {
        key,
        operator,
        good,
        bad,
        create: create.clone(),
        op,
        request,
    };
    let app_id = user(ACCOUNT, "app", Vec::new()).user_id().to_owned();
    vec![
        case(
            "aws:userid",
            "StringEquals",
            json!(app_id),
            json!(user(ACCOUNT, "admin", Vec::new()).user_id()),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "aws:RequestedRegion",
            "StringEquals",
            json!(["us-east-1", "eu-west-1"]),
            json!("eu-west-1"),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "aws:PrincipalIsAWSService",
            "Bool",
            json!("false"),
            json!("true"),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "aws:ViaAWSService",
            "Bool",
            json!("false"),
            json!("true"),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "kms:EncryptionContext:tenant",
            "StringEquals",
            json!("blue"),
            json!("red"),
            &symmetric,
            O::GenerateDataKey,
            gdk,
        ),
        case(
            "kms:EncryptionContextKeys",
            "ForAllValues:StringEquals",
            json!(["tenant", "x"]),
            json!(["x"]),
            &symmetric,
            O::GenerateDataKey,
            gdk,
        ),
        case(
            "kms:CallerAccount",
            "StringEquals",
            json!(ACCOUNT),
            json!(OTHER),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "kms:GrantOperations",
            "ForAllValues:StringEquals",
            json!(["Decrypt", "Encrypt"]),
            json!(["Encrypt"]),
            &symmetric,
            O::CreateGrant,
            r#"{"KeyId":"{key}","GranteePrincipal":"arn:aws:iam::111122223333:user/svc","Operations":["Decrypt"]}"#,
        ),
        case(
            "kms:GrantIsForAWSResource",
            "Bool",
            json!("false"),
            json!("true"),
            &symmetric,
            O::CreateGrant,
            r#"{"KeyId":"{key}","GranteePrincipal":"arn:aws:iam::111122223333:user/svc","Operations":["Decrypt"]}"#,
        ),
        case(
            "kms:KeySpec",
            "StringEquals",
            json!("SYMMETRIC_DEFAULT"),
            json!("RSA_2048"),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "kms:KeyUsage",
            "StringEquals",
            json!("SIGN_VERIFY"),
            json!("ENCRYPT_DECRYPT"),
            &json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}),
            O::DescribeKey,
            describe,
        ),
        case(
            "kms:KeyOrigin",
            "StringEquals",
            json!("AWS_KMS"),
            json!("EXTERNAL"),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "kms:MultiRegion",
            "Bool",
            json!("true"),
            json!("false"),
            &json!({"MultiRegion": true}),
            O::DescribeKey,
            describe,
        ),
        case(
            "kms:RequestAlias",
            "StringLike",
            json!("alias/k-*"),
            json!("alias/other"),
            &symmetric,
            O::DescribeKey,
            r#"{"KeyId":"{alias}"}"#,
        ),
        case(
            "kms:EncryptionAlgorithm",
            "StringEquals",
            json!("SYMMETRIC_DEFAULT"),
            json!("RSAES_OAEP_SHA_256"),
            &symmetric,
            O::Encrypt,
            r#"{"KeyId":"{key}","Plaintext":"aGk="}"#,
        ),
        case(
            "kms:SigningAlgorithm",
            "StringEquals",
            json!("ECDSA_SHA_256"),
            json!("ECDSA_SHA_384"),
            &json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}),
            O::Sign,
            r#"{"KeyId":"{key}","Message":"aGk=","SigningAlgorithm":"ECDSA_SHA_256"}"#,
        ),
        case(
            "kms:MacAlgorithm",
            "StringEquals",
            json!("HMAC_SHA_256"),
            json!("HMAC_SHA_512"),
            &json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}),
            O::GenerateMac,
            r#"{"KeyId":"{key}","Message":"aGk=","MacAlgorithm":"HMAC_SHA_256"}"#,
        ),
        case(
            "kms:ViaService",
            "Null",
            json!("true"),
            json!("false"),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "aws:PrincipalArn",
            "ArnLike",
            json!("arn:aws:iam::111122223333:user/a*"),
            json!("arn:aws:iam::*:role/*"),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "aws:PrincipalAccount",
            "StringEquals",
            json!(ACCOUNT),
            json!(OTHER),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "aws:SourceIp",
            "IpAddress",
            json!("10.0.0.0/8"),
            json!("192.168.0.0/16"),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "aws:CurrentTime",
            "DateGreaterThan",
            json!("2020-01-01T00:00:00Z"),
            json!("2999-01-01T00:00:00Z"),
            &symmetric,
            O::DescribeKey,
            describe,
        ),
        case(
            "aws:RequestTag/team",
            "StringEquals",
            json!("blue"),
            json!("red"),
            &symmetric,
            O::TagResource,
            r#"{"KeyId":"{key}","Tags":[{"TagKey":"team","TagValue":"blue"}]}"#,
        ),
    ]
}

#[test]
fn each_condition_key_binds_in_a_key_policy() {
    let kms = Kms::new();
    let admin = user(ACCOUNT, "admin", vec![admin_policy()]);
    let app = user(ACCOUNT, "app", Vec::new());
    let caller = Caller {
        identity: &app,
        source_ip: Some("10.1.2.3".parse().unwrap()),
    };
    for (i, case) in key_cases().into_iter().enumerate() {
        let mut outcomes = Vec::new();
        for value in [&case.good, &case.bad] {
            let policy = json!({"Statement": [
                {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "kms:*", "Resource": "*"},
                {"Effect": "Allow", "Principal": {"AWS": app.arn()}, "Action": Action::of(case.op).name(), "Resource": "*",
                 "Condition": {case.operator: {case.key: value}}}
            ]});
            let mut create = case.create.clone();
            create["Policy"] = json!(policy.to_string());
            let out = call(&kms, &admin, Operation::CreateKey, create).unwrap();
            let arn = out["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
            let alias = format!("alias/k-{i}-{}", outcomes.len());
            call(
                &kms,
                &admin,
                Operation::CreateAlias,
                json!({"AliasName": alias, "TargetKeyId": arn}),
            )
            .unwrap();
            let body = case
                .request
                .replace("{key}", &arn)
                .replace("{alias}", &alias);
            outcomes.push(kms.dispatch_as(&scope(ACCOUNT), &caller, case.op, body.as_bytes()));
        }
        let [good, bad] = <[_; 2]>::try_from(outcomes).unwrap();
        assert!(good.is_ok(), "{}: {:?}", case.key, good.err());
        match bad {
            Err(KmsError::AccessDenied(_)) => {}
            other => panic!("{} with {}: {other:?}", case.key, case.bad),
        }
    }
}

#[test]
fn resource_tags_and_aliases_bind_in_an_identity_policy() {
    let kms = Kms::new();
    let admin = user(ACCOUNT, "admin", vec![admin_policy()]);
    let team = user(ACCOUNT, "team", vec![Policy::parse_identity_policy(
        r#"{"Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}}"#,
    ).unwrap()]);
    let tagged = |value: &str| {
        let out = call(
            &kms,
            &admin,
            Operation::CreateKey,
            json!({"Tags": [{"TagKey": "team", "TagValue": value}]}),
        )
        .unwrap();
        out["KeyMetadata"]["Arn"].as_str().unwrap().to_owned()
    };
    let (blue, red) = (tagged("blue"), tagged("red"));
    let encrypt = |key: &str| {
        call(
            &kms,
            &team,
            Operation::Encrypt,
            json!({"KeyId": key, "Plaintext": "aGk="}),
        )
    };
    assert!(encrypt(&blue).is_ok());
    denied(encrypt(&red));
    // kms:ResourceAliases: the aliases the key has, whatever the request names it by.
    let by_alias = user(ACCOUNT, "by-alias", vec![Policy::parse_identity_policy(
        r#"{"Statement":{"Effect":"Allow","Action":"kms:DescribeKey","Resource":"*","Condition":{"ForAnyValue:StringLike":{"kms:ResourceAliases":"alias/blue-*"}}}}"#,
    ).unwrap()]);
    for (alias, key) in [("alias/blue-1", &blue), ("alias/red-1", &red)] {
        let body = json!({"AliasName": alias, "TargetKeyId": key});
        call(&kms, &admin, Operation::CreateAlias, body).unwrap();
    }
    let describe = |key: &str| {
        call(
            &kms,
            &by_alias,
            Operation::DescribeKey,
            json!({"KeyId": key}),
        )
    };
    assert!(describe(&blue).is_ok());
    denied(describe(&red));
}

/// The red-team case: alice's key allows only alice; she grants bob Encrypt, Decrypt and
/// CreateGrant under `EncryptionContextEquals {"p":"1"}`. Bob's CreateGrant permission comes
/// from that grant alone, so every grant he makes must allow a subset of its operations under
/// constraints at least as strict, and none of them lets him retire another's grant.
#[test]
fn a_grant_with_create_grant_cannot_mint_a_broader_grant() {
    let kms = Kms::new();
    let alice = user(ACCOUNT, "alice", Vec::new());
    let bob = user(ACCOUNT, "bob", Vec::new());
    let carol = user(ACCOUNT, "carol", Vec::new());
    let policy = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": alice.arn()},
        "Action": "kms:*", "Resource": "*"}]});
    let key = new_key(
        &kms,
        &user(ACCOUNT, "alice", vec![admin_policy()]),
        Some(policy.to_string()),
    );
    let grant = |who: &Identity, body: Value| {
        let mut body = body;
        body["KeyId"] = json!(key);
        call(&kms, who, Operation::CreateGrant, body)
    };
    grant(
        &alice,
        json!({"GranteePrincipal": bob.arn(),
        "Operations": ["Decrypt", "Encrypt", "CreateGrant"],
        "Constraints": {"EncryptionContextEquals": {"p": "1"}}}),
    )
    .unwrap();
    let encrypt = |who: &Identity, ctx: Value| {
        call(
            &kms,
            who,
            Operation::Encrypt,
            json!({"KeyId": key, "Plaintext": "aGk=", "EncryptionContext": ctx}),
        )
    };
    let without_context = call(
        &kms,
        &alice,
        Operation::Encrypt,
        json!({"KeyId": key, "Plaintext": "aGk="}),
    )
    .unwrap();
    let decrypt = |who: &Identity| {
        call(
            &kms,
            who,
            Operation::Decrypt,
            json!({"CiphertextBlob": without_context["CiphertextBlob"]}),
        )
    };
    assert!(encrypt(&bob, json!({"p": "1"})).is_ok());
    // A constraint's keys match whatever their case, its values exactly (AWS's GrantConstraints).
    assert!(encrypt(&bob, json!({"P": "1"})).is_ok());
    denied(encrypt(&bob, json!({"p": "01"})));
    denied(decrypt(&bob));

    // Looser or different constraints, or operations the parent lacks, are refused.
    for (grantee, body) in [
        (&bob, json!({"Operations": ["Decrypt"]})),
        (&carol, json!({"Operations": ["Decrypt"]})),
        (
            &carol,
            json!({"Operations": ["Decrypt"], "Constraints": {"EncryptionContextSubset": {"p": "1"}}}),
        ),
        (
            &carol,
            json!({"Operations": ["Decrypt"], "Constraints": {"EncryptionContextEquals": {"p": "2"}}}),
        ),
        (
            &carol,
            json!({"Operations": ["Decrypt"], "Constraints": {"EncryptionContextEquals": {"p": "1", "q": "2"}}}),
        ),
        (
            &carol,
            json!({"Operations": ["Decrypt", "DescribeKey"], "Constraints": {"EncryptionContextEquals": {"p": "1"}}}),
        ),
        (
            &carol,
            json!({"Operations": ["RetireGrant"], "Constraints": {"EncryptionContextEquals": {"p": "1"}}}),
        ),
    ] {
        let mut body = body;
        body["GranteePrincipal"] = json!(grantee.arn());
        let m = denied(grant(&bob, body.clone()));
        assert!(m.contains("kms:CreateGrant"), "{body}: {m}");
    }
    denied(decrypt(&bob));
    denied(decrypt(&carol));

    // As strict, with a subset of the operations: allowed, and carol gets only that.
    let child = grant(
        &bob,
        json!({"GranteePrincipal": carol.arn(), "Operations": ["Encrypt", "CreateGrant"],
        "Constraints": {"EncryptionContextEquals": {"p": "1"}}}),
    )
    .unwrap();
    assert!(encrypt(&carol, json!({"p": "1"})).is_ok());
    denied(encrypt(&carol, json!({"p": "2"})));
    // Carol's grant is a parent in turn: she may pass on no more than she holds.
    denied(grant(
        &carol,
        json!({"GranteePrincipal": bob.arn(), "Operations": ["Decrypt"],
        "Constraints": {"EncryptionContextEquals": {"p": "1"}}}),
    ));

    // Neither CreateGrant nor a RetireGrant of one's own lets a grantee retire another's grant.
    let dave = user(ACCOUNT, "dave", Vec::new());
    let own = grant(
        &alice,
        json!({"GranteePrincipal": dave.arn(), "Operations": ["RetireGrant", "CreateGrant"]}),
    )
    .unwrap();
    for who in [&bob, &dave] {
        let m = denied(call(
            &kms,
            who,
            Operation::RetireGrant,
            json!({"KeyId": key, "GrantId": child["GrantId"]}),
        ));
        assert!(m.contains("kms:RetireGrant"), "{m}");
    }
    assert!(encrypt(&carol, json!({"p": "1"})).is_ok());
    // Dave may retire his own grant (it allows RetireGrant); the account's admin any grant.
    call(
        &kms,
        &dave,
        Operation::RetireGrant,
        json!({"KeyId": key, "GrantId": own["GrantId"]}),
    )
    .unwrap();
    let admin = user(ACCOUNT, "admin", vec![admin_policy()]);
    call(
        &kms,
        &admin,
        Operation::RetireGrant,
        json!({"KeyId": key, "GrantId": child["GrantId"]}),
    )
    .unwrap();
    denied(encrypt(&carol, json!({"p": "1"})));
    // Another account's admin may not.
    let outsider = user(OTHER, "admin", vec![admin_policy()]);
    let theirs = grant(
        &alice,
        json!({"GranteePrincipal": carol.arn(), "Operations": ["Encrypt"]}),
    )
    .unwrap();
    denied(call(
        &kms,
        &outsider,
        Operation::RetireGrant,
        json!({"KeyId": key, "GrantId": theirs["GrantId"]}),
    ));
}

#[test]
fn child_grant_constraints_must_be_at_least_as_strict() {
    let c = |v: Value| -> Option<GrantConstraints> { serde_json::from_value(v).ok() };
    let strict = |child: Value, parent: Value| {
        GrantConstraints::at_least_as_strict(c(child).as_ref(), c(parent).as_ref())
    };
    let subset = |pairs: Value| json!({"EncryptionContextSubset": pairs});
    let equals = |pairs: Value| json!({"EncryptionContextEquals": pairs});
    // No parent constraint: anything goes.
    assert!(strict(Value::Null, Value::Null));
    assert!(strict(subset(json!({"a": "1"})), Value::Null));
    // Subset parent: the child keeps every pair, may add pairs, may pin the context.
    let parent = subset(json!({"a": "1"}));
    assert!(strict(subset(json!({"a": "1"})), parent.clone()));
    assert!(strict(subset(json!({"a": "1", "b": "2"})), parent.clone()));
    assert!(strict(equals(json!({"a": "1", "b": "2"})), parent.clone()));
    assert!(!strict(Value::Null, parent.clone()));
    assert!(!strict(subset(json!({})), parent.clone()));
    assert!(!strict(subset(json!({"a": "2"})), parent.clone()));
    assert!(strict(subset(json!({"A": "1"})), parent.clone()));
    assert!(!strict(subset(json!({"a": "A"})), parent.clone()));
    assert!(!strict(equals(json!({"b": "2"})), parent));
    // Equals parent: only the same context, never a subset.
    let parent = equals(json!({"a": "1"}));
    assert!(strict(equals(json!({"a": "1"})), parent.clone()));
    assert!(!strict(equals(json!({"a": "1", "b": "2"})), parent.clone()));
    assert!(!strict(subset(json!({"a": "1"})), parent.clone()));
    assert!(!strict(json!({}), parent.clone()));
    // A child whose own constraints admit no context at all is harmless.
    assert!(strict(
        json!({"EncryptionContextEquals": {"b": "2"}, "EncryptionContextSubset": {"c": "3"}}),
        parent
    ));
    // SourceArn is kept.
    let parent = json!({"SourceArn": "arn:aws:s3::111122223333:bucket"});
    assert!(strict(parent.clone(), parent.clone()));
    assert!(!strict(Value::Null, parent.clone()));
    assert!(!strict(
        json!({"SourceArn": "arn:aws:s3::111122223333:other"}),
        parent
    ));
}
