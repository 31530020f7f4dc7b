//! One test per operator family, qualifier and the absent-key rules.

use super::*;

struct Map(Vec<(ConditionKey, Vec<&'static str>)>);

impl ConditionContext for Map {
    fn values(&self, key: &ConditionKey) -> Option<Values<'_>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| {
            if v.len() == 1 {
                Values::One(Cow::Borrowed(v[0]))
            } else {
                Values::Many(v.iter().map(|s| Cow::Borrowed(*s)).collect())
            }
        })
    }
}

fn ctx(pairs: &[(&str, &[&'static str])]) -> Map {
    Map(pairs
        .iter()
        .map(|(k, v)| (ConditionKey::parse(k), v.to_vec()))
        .collect())
}

fn holds(operator: &str, key: &str, values: &[&str], ctx: &Map) -> bool {
    Condition::compile(
        operator,
        key,
        values.iter().map(|s| s.to_string()).collect(),
        true,
    )
    .unwrap()
    .holds(ctx)
}

const EC_DEPT: &str = "kms:EncryptionContext:Department";

#[test]
fn policy_variables_in_string_and_arn_values() {
    let c = ctx(&[
        ("aws:ResourceTag/Project", &["alpha"]),
        ("aws:PrincipalTag/project", &["alpha"]),
        ("aws:PrincipalAccount", &["111122223333"]),
        ("aws:username", &["alice"]),
        (EC_DEPT, &["alice-team"]),
        (
            "kms:GranteePrincipal",
            &["arn:aws:iam::111122223333:role/app"],
        ),
        ("aws:EpochTime", &["100"]),
    ]);
    let abac = "${aws:PrincipalTag/project}";
    assert!(holds(
        "StringEquals",
        "aws:ResourceTag/Project",
        &[abac],
        &c
    ));
    assert!(!holds(
        "StringNotEquals",
        "aws:ResourceTag/Project",
        &[abac],
        &c
    ));
    assert!(holds("StringLike", EC_DEPT, &["${aws:username}-*"], &c));
    assert!(holds(
        "StringEqualsIgnoreCase",
        EC_DEPT,
        &["${aws:username}-TEAM"],
        &c
    ));
    assert!(holds(
        "ArnLike",
        "kms:GranteePrincipal",
        &["arn:aws:iam::${aws:PrincipalAccount}:role/*"],
        &c
    ));
    // A variable with no value matches nothing: the positive test fails and the negated one
    // holds, as with any value that does not match.
    let missing = "${aws:PrincipalTag/Team}";
    assert!(!holds(
        "StringEquals",
        "aws:ResourceTag/Project",
        &[missing],
        &c
    ));
    assert!(holds(
        "StringNotEquals",
        "aws:ResourceTag/Project",
        &[missing],
        &c
    ));
    assert!(holds(
        "StringEquals",
        "aws:ResourceTag/Project",
        &["${aws:PrincipalTag/Team, 'alpha'}"],
        &c
    ));
    // Numeric, date and other operators take their values literally.
    assert!(!holds(
        "NumericEquals",
        "aws:EpochTime",
        &["${aws:EpochTime}"],
        &c
    ));
}

#[test]
fn string_operators() {
    let c = ctx(&[(EC_DEPT, &["Finance"])]);
    assert!(holds("StringEquals", EC_DEPT, &["Sales", "Finance"], &c));
    assert!(!holds("StringEquals", EC_DEPT, &["finance"], &c));
    assert!(holds("StringEqualsIgnoreCase", EC_DEPT, &["FINANCE"], &c));
    assert!(!holds(
        "StringNotEqualsIgnoreCase",
        EC_DEPT,
        &["FINANCE"],
        &c
    ));
    assert!(holds("StringNotEquals", EC_DEPT, &["Sales"], &c));
    assert!(!holds("StringNotEquals", EC_DEPT, &["Finance"], &c));
    assert!(holds("StringLike", EC_DEPT, &["Fin*"], &c));
    assert!(holds("StringLike", EC_DEPT, &["F?nance"], &c));
    assert!(!holds("StringLike", EC_DEPT, &["fin*"], &c));
    assert!(holds("StringNotLike", EC_DEPT, &["Sal*"], &c));
}

#[test]
fn absent_keys() {
    let empty = ctx(&[]);
    assert!(!holds("StringEquals", EC_DEPT, &["Finance"], &empty));
    assert!(holds("StringEqualsIfExists", EC_DEPT, &["Finance"], &empty));
    // A negated operator holds when the key is absent.
    assert!(holds("StringNotEquals", EC_DEPT, &["Finance"], &empty));
    assert!(holds(
        "ForAllValues:StringEquals",
        "kms:EncryptionContextKeys",
        &["a"],
        &empty
    ));
    assert!(!holds(
        "ForAnyValue:StringEquals",
        "kms:EncryptionContextKeys",
        &["a"],
        &empty
    ));
    assert!(holds("Null", EC_DEPT, &["true"], &empty));
    assert!(!holds("Null", EC_DEPT, &["false"], &empty));
    let present = ctx(&[(EC_DEPT, &["x"])]);
    assert!(holds("Null", EC_DEPT, &["false"], &present));
    assert!(!holds("Null", EC_DEPT, &["true"], &present));
    // IfExists does not excuse a present value that does not match.
    assert!(!holds(
        "StringEqualsIfExists",
        EC_DEPT,
        &["Finance"],
        &present
    ));
}

#[test]
fn set_qualifiers() {
    let keys = "kms:EncryptionContextKeys";
    let c = ctx(&[(keys, &["Department", "Project"])]);
    assert!(holds(
        "ForAllValues:StringEquals",
        keys,
        &["Department", "Project", "Team"],
        &c
    ));
    assert!(!holds(
        "ForAllValues:StringEquals",
        keys,
        &["Department"],
        &c
    ));
    assert!(holds("ForAnyValue:StringEquals", keys, &["Project"], &c));
    assert!(!holds("ForAnyValue:StringEquals", keys, &["Team"], &c));
    assert!(holds("ForAnyValue:StringNotEquals", keys, &["Project"], &c));
    assert!(!holds(
        "ForAllValues:StringNotEquals",
        keys,
        &["Project"],
        &c
    ));
    assert!(holds("ForAllValues:StringLike", keys, &["*e*"], &c));
}

#[test]
fn numeric_operators() {
    let k = "kms:ScheduleKeyDeletionPendingWindowInDays";
    let c = ctx(&[(k, &["7"])]);
    assert!(holds("NumericEquals", k, &["7"], &c));
    assert!(holds("NumericNotEquals", k, &["30"], &c));
    assert!(holds("NumericLessThan", k, &["8"], &c));
    assert!(!holds("NumericLessThan", k, &["7"], &c));
    assert!(holds("NumericLessThanEquals", k, &["7"], &c));
    assert!(holds("NumericGreaterThan", k, &["6.5"], &c));
    assert!(holds("NumericGreaterThanEquals", k, &["7"], &c));
    assert!(!holds("NumericGreaterThanEquals", k, &["seven"], &c));
}

#[test]
fn date_operators() {
    let k = "aws:CurrentTime";
    let c = ctx(&[(k, &["2026-12-03T12:00:00Z"])]);
    assert!(holds("DateGreaterThan", k, &["2026-01-01T00:00:00Z"], &c));
    assert!(holds("DateLessThan", k, &["2027-01-01"], &c));
    assert!(!holds("DateLessThan", k, &["2026-12-03T12:00:00Z"], &c));
    assert!(holds(
        "DateLessThanEquals",
        k,
        &["2026-12-03T12:00:00Z"],
        &c
    ));
    assert!(holds("DateEquals", k, &["2026-12-03T13:00:00+01:00"], &c));
    assert!(holds("DateNotEquals", k, &["2026-12-04"], &c));
    // Epoch seconds are dates too.
    assert!(holds("DateGreaterThanEquals", k, &["1796299200"], &c));
    assert!(!holds("DateGreaterThan", k, &["1796299200"], &c));
}

#[test]
fn bool_binary_and_ip() {
    let c = ctx(&[
        ("kms:MultiRegion", &["false"]),
        ("aws:SourceIp", &["10.1.2.3"]),
        ("kms:EncryptionContext:blob", &["AAEC"]),
    ]);
    assert!(holds("Bool", "kms:MultiRegion", &["false"], &c));
    assert!(holds("Bool", "kms:MultiRegion", &["FALSE"], &c));
    assert!(!holds("Bool", "kms:MultiRegion", &["true"], &c));
    assert!(holds(
        "BinaryEquals",
        "kms:EncryptionContext:blob",
        &["AAEC"],
        &c
    ));
    assert!(holds("IpAddress", "aws:SourceIp", &["10.0.0.0/8"], &c));
    assert!(holds("IpAddress", "aws:SourceIp", &["10.1.2.3"], &c));
    assert!(!holds("IpAddress", "aws:SourceIp", &["192.168.0.0/16"], &c));
    assert!(holds(
        "NotIpAddress",
        "aws:SourceIp",
        &["192.168.0.0/16"],
        &c
    ));
    assert!(holds("IpAddress", "aws:SourceIp", &["0.0.0.0/0"], &c));
    let v6 = ctx(&[("aws:SourceIp", &["::1"])]);
    assert!(holds("IpAddress", "aws:SourceIp", &["::1/128"], &v6));
    assert!(!holds("IpAddress", "aws:SourceIp", &["127.0.0.0/8"], &v6));
}

#[test]
fn arn_operators() {
    let k = "aws:PrincipalArn";
    let c = ctx(&[(k, &["arn:aws:iam::111122223333:role/app/Reader"])]);
    assert!(holds(
        "ArnEquals",
        k,
        &["arn:aws:iam::111122223333:role/app/Reader"],
        &c
    ));
    assert!(holds("ArnLike", k, &["arn:aws:iam::*:role/app/*"], &c));
    assert!(!holds(
        "ArnLike",
        k,
        &["arn:aws:iam::444455556666:role/*"],
        &c
    ));
    assert!(holds("ArnNotLike", k, &["arn:aws:iam::444455556666:*"], &c));
    assert!(!holds("ArnLike", k, &["not-an-arn"], &c));
}

#[test]
fn key_names_are_case_insensitive_but_context_keys_are_kept() {
    assert_eq!(ConditionKey::parse("KMS:KEYSPEC"), ConditionKey::KeySpec);
    assert_eq!(
        ConditionKey::parse("kms:CustomerMasterKeySpec"),
        ConditionKey::KeySpec
    );
    assert_eq!(
        ConditionKey::parse("KMS:encryptioncontext:Dept"),
        ConditionKey::EncryptionContext("dept".into())
    );
    assert_eq!(
        ConditionKey::parse("aws:ResourceTag/Team"),
        ConditionKey::ResourceTag("Team".into())
    );
    assert!(matches!(
        ConditionKey::parse("s3:prefix"),
        ConditionKey::Other(_)
    ));
}

#[test]
fn unknown_operators_are_malformed() {
    for op in [
        "StringEqualz",
        "ForSomeValues:StringEquals",
        "ForAnyValue:Null",
        "NullIfExists",
    ] {
        assert!(
            Condition::compile(op, "aws:SourceIp", vec![], true).is_err(),
            "{op}"
        );
    }
}
