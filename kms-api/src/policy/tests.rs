//! Parsing (AWS's MalformedPolicyDocument texts) and statement evaluation: effects,
//! principals, actions, resources and conditions together.

use super::*;
use crate::Operation;

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn alice() -> Identity {
    Identity::new("arn:aws:iam::111122223333:user/alice", Vec::new())
}

fn outsider() -> Identity {
    Identity::new("arn:aws:iam::444455556666:user/eve", Vec::new())
}

fn act(op: Operation) -> Action {
    Action::of(op)
}

#[test]
fn the_default_key_policy_delegates_to_the_account() {
    let p = Policy::parse_key_policy(&crate::ops::policies::default_policy(&crate::Scope::new(
        "111122223333",
        "us-east-1",
    )))
    .unwrap();
    let out = p.evaluate(Some(&alice()), act(Operation::Decrypt), KEY, &NoConditions);
    assert!(out.delegates_to_account() && !out.allows_directly() && !out.denies());
    let out = p.evaluate(
        Some(&outsider()),
        act(Operation::Decrypt),
        KEY,
        &NoConditions,
    );
    assert!(!out.allows_somehow());
}

#[test]
fn account_ids_and_root_arns_are_the_same_principal() {
    for principal in ["111122223333", "arn:aws:iam::111122223333:root"] {
        let p = Policy::parse_key_policy(&format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"kms:*","Resource":"*"}}]}}"#
        ))
        .unwrap();
        let out = p.evaluate(Some(&alice()), act(Operation::Encrypt), KEY, &NoConditions);
        assert!(out.delegates_to_account(), "{principal}");
    }
}

#[test]
fn deny_wins_and_not_action_inverts() {
    let p = Policy::parse_key_policy(
        r#"{"Statement":[
          {"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
          {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"NotAction":["kms:Describe*","kms:Get*"],"Resource":"*"}
        ]}"#,
    )
    .unwrap();
    let a = alice();
    assert!(
        p.evaluate(Some(&a), act(Operation::Decrypt), KEY, &NoConditions)
            .denies()
    );
    let describe = p.evaluate(Some(&a), act(Operation::DescribeKey), KEY, &NoConditions);
    assert!(describe.allows_directly());
    let bob = Identity::new("arn:aws:iam::111122223333:user/bob", Vec::new());
    assert!(
        p.evaluate(Some(&bob), act(Operation::Decrypt), KEY, &NoConditions)
            .allows_directly()
    );
}

#[test]
fn not_principal_and_assumed_roles() {
    let p = Policy::parse_key_policy(
        r#"{"Statement":[
          {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/Reader"]},"Action":"kms:Decrypt","Resource":"*"},
          {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/Reader"},"Action":"kms:Decrypt","Resource":"*"}
        ]}"#,
    )
    .unwrap();
    let session = Identity::new(
        "arn:aws:sts::111122223333:assumed-role/Reader/job-7",
        Vec::new(),
    );
    let out = p.evaluate(Some(&session), act(Operation::Decrypt), KEY, &NoConditions);
    assert!(out.allows_directly());
    let out = p.evaluate(Some(&alice()), act(Operation::Decrypt), KEY, &NoConditions);
    assert!(out.denies());
}

#[test]
fn identity_policies_match_resources() {
    let p = Policy::parse_identity_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["kms:Encrypt","kms:GenerateDataKey*"],"Resource":"arn:aws:kms:*:111122223333:key/*"}}"#,
    )
    .unwrap();
    assert!(
        p.evaluate(
            None,
            act(Operation::GenerateDataKeyWithoutPlaintext),
            KEY,
            &NoConditions
        )
        .allows_directly()
    );
    assert!(
        !p.evaluate(None, act(Operation::Decrypt), KEY, &NoConditions)
            .allows_somehow()
    );
    let other = KEY.replace("111122223333", "444455556666");
    assert!(
        !p.evaluate(None, act(Operation::Encrypt), &other, &NoConditions)
            .allows_somehow()
    );
    let not = Policy::parse_identity_policy(
        r#"{"Statement":{"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:*:111122223333:*"}}"#,
    )
    .unwrap();
    assert!(
        not.evaluate(None, act(Operation::Encrypt), &other, &NoConditions)
            .denies()
    );
    assert!(
        !not.evaluate(None, act(Operation::Encrypt), KEY, &NoConditions)
            .denies()
    );
}

struct Dept(&'static str);

impl ConditionContext for Dept {
    fn values(&self, key: &ConditionKey) -> Option<Values<'_>> {
        (key == &ConditionKey::EncryptionContext("department".into()))
            .then(|| Values::One(self.0.into()))
    }
}

#[test]
fn conditions_bind() {
    let p = Policy::parse_key_policy(
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:Decrypt","Resource":"*",
           "Condition":{"StringEquals":{"kms:EncryptionContext:Department":"Finance"},"Bool":{"kms:GrantIsForAWSResource":false},"Null":{"kms:EncryptionContext:Department":"false"}}}]}"#,
    )
    .unwrap();
    let a = alice();
    // Bool on an absent key is false: the statement does not apply.
    assert!(
        !p.evaluate(Some(&a), act(Operation::Decrypt), KEY, &Dept("Finance"))
            .allows_somehow()
    );
    let p = Policy::parse_key_policy(
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:Decrypt","Resource":"*",
           "Condition":{"StringEquals":{"KMS:ENCRYPTIONCONTEXT:department":["Finance","Audit"]}}}]}"#,
    )
    .unwrap();
    assert!(
        p.evaluate(Some(&a), act(Operation::Decrypt), KEY, &Dept("Audit"))
            .allows_directly()
    );
    assert!(
        !p.evaluate(Some(&a), act(Operation::Decrypt), KEY, &Dept("Sales"))
            .allows_somehow()
    );
}

fn malformed_text(key_policy: bool, doc: &str) -> String {
    let result = if key_policy {
        Policy::parse_key_policy(doc)
    } else {
        Policy::parse_identity_policy(doc)
    };
    match result {
        Err(PolicyError::Malformed(m)) => m,
        Ok(_) => panic!("accepted: {doc}"),
    }
}

#[test]
fn malformed_documents_are_refused_with_aws_texts() {
    let ok = r#""Action":"kms:*","Resource":"*""#;
    assert_eq!(
        malformed_text(
            true,
            &format!(r#"{{"Statement":[{{"Effect":"Allow",{ok}}}]}}"#)
        ),
        "Policy contains a statement with no principal."
    );
    for principal in [
        r#""alice""#,
        r#"{"AWS":"arn:aws:iam::1234:user/x"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:user/*"}"#,
        r#"{"Nope":"x"}"#,
        "{}",
    ] {
        assert_eq!(
            malformed_text(
                true,
                &format!(r#"{{"Statement":[{{"Effect":"Allow","Principal":{principal},{ok}}}]}}"#)
            ),
            "Policy contains a statement with one or more invalid principals.",
            "{principal}"
        );
    }
    for doc in [
        "not json",
        "[]",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Version":"2020-01-01","Statement":[]}"#,
        r#"{"Statement":[{"Effect":"allow","Principal":"*","Action":"kms:*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":[]}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEqualz":{"a":"b"}}}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"a":null}}}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Extra":1}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"kms:*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"kms:ResourceAliases":"alias/x"}}}]}"#,
    ] {
        malformed_text(true, doc);
    }
    // Identity policies have no principal, and need a resource.
    malformed_text(
        false,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}"#,
    );
    malformed_text(
        false,
        r#"{"Statement":[{"Effect":"Allow","Action":"kms:*"}]}"#,
    );
}

struct KeyPrefixTag(&'static str);

impl ConditionContext for KeyPrefixTag {
    fn values(&self, key: &ConditionKey) -> Option<Values<'_>> {
        (key == &ConditionKey::PrincipalTag("KeyPrefix".into())).then(|| Values::One(self.0.into()))
    }
}

#[test]
fn resources_fill_in_policy_variables_only_in_the_2012_version() {
    // A variable in the resource part (after the fifth colon); `KEY` is key/1234abcd-...
    let statement = r#"{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:*:111122223333:key/${aws:PrincipalTag/KeyPrefix}-*"}"#;
    let current = Policy::parse_identity_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":{statement}}}"#
    ))
    .unwrap();
    let encrypt = act(Operation::Encrypt);
    assert!(
        current
            .evaluate(None, encrypt, KEY, &KeyPrefixTag("1234abcd"))
            .allows_directly()
    );
    assert!(
        !current
            .evaluate(None, encrypt, KEY, &KeyPrefixTag("9999"))
            .allows_somehow()
    );
    assert!(
        !current
            .evaluate(None, encrypt, KEY, &NoConditions)
            .allows_somehow(),
        "a variable without a value matches no resource"
    );
    for old in [
        format!(r#"{{"Version":"2008-10-17","Statement":{statement}}}"#),
        format!(r#"{{"Statement":{statement}}}"#),
    ] {
        let p = Policy::parse_identity_policy(&old).unwrap();
        assert!(
            !p.evaluate(None, encrypt, KEY, &KeyPrefixTag("1234abcd"))
                .allows_somehow(),
            "literal in {old}"
        );
    }
}

#[test]
fn key_policies_may_not_read_resource_tags_through_variables() {
    for policy in [
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/Team":"${aws:ResourceTag/Team}"}}}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:key/${aws:ResourceTag/Id}"}}"#,
    ] {
        assert!(
            matches!(Policy::parse_key_policy(policy), Err(PolicyError::Malformed(m)) if m.contains("aws:ResourceTag")),
            "{policy}"
        );
    }
    // In an identity policy they are allowed.
    assert!(Policy::parse_identity_policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/Team":"${aws:ResourceTag/Team}"}}}}"#).is_ok());
}
