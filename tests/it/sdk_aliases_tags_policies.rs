//! Aliases, tags and key policies through the official `aws-sdk-kms` client.

use crate::common;

use std::collections::BTreeSet;

use aws_sdk_kms::Client;
use aws_sdk_kms::types::Tag;
use common::*;

fn arn(id: &str) -> String {
    key_arn(REGION, DEFAULT_ACCOUNT, id)
}

fn alias(name: &str) -> String {
    alias_arn(REGION, DEFAULT_ACCOUNT, name)
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().tag_key(k).tag_value(v).build().unwrap()
}

async fn create_alias(client: &Client, name: &str, target: &str) {
    client
        .create_alias()
        .alias_name(name)
        .target_key_id(target)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateAlias {name}: {e:?}"));
}

async fn described_key_id(client: &Client, key_id: &str) -> String {
    client
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned()
}

async fn tags_of(client: &Client, key_id: &str) -> Vec<(String, String)> {
    client
        .list_resource_tags()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Aliases
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn create_and_list_aliases() {
    let (server, client) = setup().await;
    let a = create_key(&client).await;
    let b = create_key(&client).await;
    create_alias(&client, "alias/one", &a).await;
    create_alias(&client, "alias/two", &arn(&a)).await;
    create_alias(&client, "alias/three", &b).await;

    let all = client.list_aliases().send().await.unwrap();
    assert!(!all.truncated());
    assert_eq!(all.next_marker(), None);
    let mut entries: Vec<(String, String, String)> = all
        .aliases()
        .iter()
        .filter(|e| e.target_key_id().is_some())
        .map(|e| {
            assert!(e.creation_date().is_some(), "CreationDate");
            assert!(e.last_updated_date().is_some(), "LastUpdatedDate");
            (
                e.alias_name().unwrap().to_owned(),
                e.alias_arn().unwrap().to_owned(),
                e.target_key_id().unwrap().to_owned(),
            )
        })
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        vec![
            ("alias/one".into(), alias("alias/one"), a.clone()),
            ("alias/three".into(), alias("alias/three"), b.clone()),
            ("alias/two".into(), alias("alias/two"), a.clone()),
        ]
    );

    let of_a = client.list_aliases().key_id(&a).send().await.unwrap();
    let names: BTreeSet<&str> = of_a
        .aliases()
        .iter()
        .filter_map(|e| e.alias_name())
        .collect();
    assert_eq!(names, BTreeSet::from(["alias/one", "alias/two"]));
    let of_b = client.list_aliases().key_id(arn(&b)).send().await.unwrap();
    let names: Vec<&str> = of_b
        .aliases()
        .iter()
        .filter_map(|e| e.alias_name())
        .collect();
    assert_eq!(names, vec!["alias/three"]);
    server.shutdown().await;
}

#[tokio::test]
async fn list_aliases_pages() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let mut created = BTreeSet::new();
    for i in 0..5 {
        let name = format!("alias/page-{i}");
        create_alias(&client, &name, &id).await;
        created.insert(name);
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = client
            .list_aliases()
            .limit(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(out.aliases().len() <= 2);
        seen.extend(
            out.aliases()
                .iter()
                .map(|e| e.alias_name().unwrap().to_owned()),
        );
        if !out.truncated() {
            assert_eq!(out.next_marker(), None);
            break;
        }
        marker = Some(
            out.next_marker()
                .expect("NextMarker when truncated")
                .to_owned(),
        );
        assert!(pages < 10, "paging does not end");
    }
    // 5 aliases and AWS's 14 predefined ones, 2 a page.
    assert_eq!(pages, 10);
    assert_eq!(seen.len(), 19, "{seen:?}");
    let seen: BTreeSet<String> = seen.into_iter().collect();
    assert_eq!(seen.len(), 19, "no alias twice");
    assert!(created.is_subset(&seen));
    server.shutdown().await;
}

#[tokio::test]
async fn predefined_aws_aliases_are_listed_without_a_key_until_used() {
    let (server, client) = setup().await;
    let listed = client.list_aliases().send().await.unwrap();
    let names: Vec<&str> = listed
        .aliases()
        .iter()
        .map(|e| e.alias_name().unwrap())
        .collect();
    assert!(names.contains(&"alias/aws/s3") && names.contains(&"alias/aws/ebs"));
    for entry in listed.aliases() {
        let name = entry.alias_name().unwrap();
        assert!(name.starts_with("alias/aws/"), "{name}");
        assert_eq!(entry.alias_arn(), Some(alias(name).as_str()));
        assert_eq!(entry.target_key_id(), None, "{name} has no key yet");
        assert_eq!(entry.creation_date(), None);
    }
    // Using alias/aws/s3 creates its AWS managed key; the alias then names it.
    let key = client
        .describe_key()
        .key_id("alias/aws/s3")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let listed = client.list_aliases().send().await.unwrap();
    let s3: Vec<_> = listed
        .aliases()
        .iter()
        .filter(|e| e.alias_name() == Some("alias/aws/s3"))
        .collect();
    assert_eq!(s3.len(), 1, "listed once");
    assert_eq!(s3[0].target_key_id(), Some(key.key_id()));
    assert!(s3[0].creation_date().is_some());
    assert_eq!(listed.aliases().len(), names.len());
    // A key's aliases never include the predefined ones.
    let id = create_key(&client).await;
    let of_key = client.list_aliases().key_id(&id).send().await.unwrap();
    assert!(of_key.aliases().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn alias_names_refuse_a_colon() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    assert_err(
        client
            .create_alias()
            .alias_name("alias/my:alias")
            .target_key_id(&id)
            .send()
            .await,
        "ValidationException",
        "alias/my:alias contains invalid characters for an alias",
    );
    create_alias(&client, "alias/my-alias_/", &id).await;
    assert_err(
        client
            .update_alias()
            .alias_name("alias/my:alias")
            .target_key_id(&id)
            .send()
            .await,
        "ValidationException",
        "alias/my:alias contains invalid characters for an alias",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn update_alias_repoints_it() {
    let (server, client) = setup().await;
    let a = create_key(&client).await;
    let b = create_key(&client).await;
    create_alias(&client, "alias/moving", &a).await;
    assert_eq!(described_key_id(&client, "alias/moving").await, a);
    client
        .update_alias()
        .alias_name("alias/moving")
        .target_key_id(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(described_key_id(&client, "alias/moving").await, b);
    let of_a = client.list_aliases().key_id(&a).send().await.unwrap();
    assert!(of_a.aliases().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn update_missing_alias_is_not_found() {
    let (server, client) = setup().await;
    let a = create_key(&client).await;
    let (code, _) = expect_err(
        client
            .update_alias()
            .alias_name("alias/ghost")
            .target_key_id(&a)
            .send()
            .await,
    );
    assert_eq!(code, "NotFoundException");
    server.shutdown().await;
}

#[tokio::test]
async fn delete_alias_removes_it() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    create_alias(&client, "alias/x", &id).await;
    client
        .delete_alias()
        .alias_name("alias/x")
        .send()
        .await
        .unwrap();
    assert_err(
        client.describe_key().key_id("alias/x").send().await,
        "NotFoundException",
        &format!("Alias {} is not found.", alias("alias/x")),
    );
    assert!(
        client
            .list_aliases()
            .send()
            .await
            .unwrap()
            .aliases()
            .iter()
            .all(|a| a.target_key_id().is_none())
    );
    // The key itself is untouched.
    assert_eq!(described_key_id(&client, &id).await, id);
    // Deleting again: not found.
    let (code, _) = expect_err(client.delete_alias().alias_name("alias/x").send().await);
    assert_eq!(code, "NotFoundException");
    server.shutdown().await;
}

#[tokio::test]
async fn duplicate_alias_already_exists() {
    let (server, client) = setup().await;
    let a = create_key(&client).await;
    let b = create_key(&client).await;
    create_alias(&client, "alias/dup", &a).await;
    assert_err(
        client
            .create_alias()
            .alias_name("alias/dup")
            .target_key_id(&b)
            .send()
            .await,
        "AlreadyExistsException",
        &format!(
            "An alias with the name {} already exists",
            alias("alias/dup")
        ),
    );
    assert_eq!(described_key_id(&client, "alias/dup").await, a);
    server.shutdown().await;
}

#[tokio::test]
async fn alias_without_prefix_is_validation_error() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    assert_err(
        client
            .create_alias()
            .alias_name("no-prefix")
            .target_key_id(&id)
            .send()
            .await,
        "ValidationException",
        "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn reserved_aws_alias_is_rejected() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let (code, _) = expect_err(
        client
            .create_alias()
            .alias_name("alias/aws/mine")
            .target_key_id(&id)
            .send()
            .await,
    );
    assert_eq!(code, "NotAuthorizedException");
    assert!(
        client
            .list_aliases()
            .send()
            .await
            .unwrap()
            .aliases()
            .iter()
            .all(|a| a.target_key_id().is_none())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn alias_to_key_pending_deletion_is_invalid_state() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    client
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_err(
        client
            .create_alias()
            .alias_name("alias/doomed")
            .target_key_id(&id)
            .send()
            .await,
        "KMSInvalidStateException",
        &format!("{} is pending deletion.", arn(&id)),
    );
    server.shutdown().await;
}

#[tokio::test]
async fn alias_to_missing_key_is_not_found() {
    let (server, client) = setup().await;
    let id = "11111111-2222-4333-8444-555555555555";
    assert_err(
        client
            .create_alias()
            .alias_name("alias/none")
            .target_key_id(id)
            .send()
            .await,
        "NotFoundException",
        &format!("Key '{}' does not exist", arn(id)),
    );
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tag_list_untag() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    assert!(tags_of(&client, &id).await.is_empty());
    client
        .tag_resource()
        .key_id(&id)
        .tags(tag("team", "payments"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    let mut got = tags_of(&client, &id).await;
    got.sort();
    assert_eq!(
        got,
        vec![
            ("env".to_owned(), "prod".to_owned()),
            ("team".to_owned(), "payments".to_owned())
        ]
    );

    // Tagging an existing key replaces its value.
    client
        .tag_resource()
        .key_id(&id)
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    let mut got = tags_of(&client, &id).await;
    got.sort();
    assert_eq!(
        got,
        vec![
            ("env".to_owned(), "dev".to_owned()),
            ("team".to_owned(), "payments".to_owned())
        ]
    );

    client
        .untag_resource()
        .key_id(&id)
        .tag_keys("team")
        .tag_keys("not-there")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&client, &id).await,
        vec![("env".to_owned(), "dev".to_owned())]
    );
    client
        .untag_resource()
        .key_id(&id)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    assert!(tags_of(&client, &id).await.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn reserved_tag_prefix_is_tag_exception() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    for key in ["aws:owner", "AWS:owner"] {
        assert_err(
            client
                .tag_resource()
                .key_id(&id)
                .tags(tag(key, "x"))
                .send()
                .await,
            "TagException",
            "Tags beginning with aws: are reserved",
        );
    }
    assert_err(
        client.create_key().tags(tag("aws:x", "y")).send().await,
        "TagException",
        "Tags beginning with aws: are reserved",
    );
    assert!(tags_of(&client, &id).await.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn duplicate_tag_keys_are_tag_exception() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    assert_err(
        client
            .tag_resource()
            .key_id(&id)
            .tags(tag("k", "1"))
            .tags(tag("k", "2"))
            .send()
            .await,
        "TagException",
        "Duplicate tag keys",
    );
    assert!(tags_of(&client, &id).await.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn too_many_tags_is_tag_exception() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let mut req = client.tag_resource().key_id(&id);
    for i in 0..51 {
        req = req.tags(tag(&format!("k{i}"), "v"));
    }
    assert_err(req.send().await, "TagException", "Too many tags");
    assert!(tags_of(&client, &id).await.is_empty());

    // 50 is fine; one more on top is too many.
    let mut req = client.tag_resource().key_id(&id);
    for i in 0..50 {
        req = req.tags(tag(&format!("k{i}"), "v"));
    }
    req.send().await.unwrap();
    assert_eq!(tags_of(&client, &id).await.len(), 50);
    assert_err(
        client
            .tag_resource()
            .key_id(&id)
            .tags(tag("one-more", "v"))
            .send()
            .await,
        "TagException",
        "Too many tags",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn long_tag_key_or_value_is_validation_error() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let long_key = "k".repeat(129);
    assert_err(
        client
            .tag_resource()
            .key_id(&id)
            .tags(tag(&long_key, "v"))
            .send()
            .await,
        "ValidationException",
        &format!(
            "1 validation error detected: Value '{long_key}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128"
        ),
    );
    let long_value = "v".repeat(257);
    assert_err(
        client
            .tag_resource()
            .key_id(&id)
            .tags(tag("k", &long_value))
            .send()
            .await,
        "ValidationException",
        &format!(
            "1 validation error detected: Value '{long_value}' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256"
        ),
    );
    // 128 and 256 are fine.
    client
        .tag_resource()
        .key_id(&id)
        .tags(tag(&"k".repeat(128), &"v".repeat(256)))
        .send()
        .await
        .unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn tags_on_missing_key_not_found() {
    let (server, client) = setup().await;
    let id = "11111111-2222-4333-8444-555555555555";
    assert_err(
        client.list_resource_tags().key_id(id).send().await,
        "NotFoundException",
        &format!("Key '{}' does not exist", arn(id)),
    );
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn default_key_policy() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let out = client
        .get_key_policy()
        .key_id(&id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(out.policy().unwrap()).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [{
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "kms:*",
                "Resource": "*"
            }]
        })
    );
    assert_eq!(doc["Statement"][0]["Sid"], "Enable IAM User Permissions");
    assert_eq!(
        doc["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::111122223333:root"
    );
    // PolicyName is optional and defaults to "default".
    let again = client.get_key_policy().key_id(&id).send().await.unwrap();
    assert_eq!(again.policy(), out.policy());
    server.shutdown().await;
}

#[tokio::test]
async fn default_policy_names_the_callers_account() {
    let server = start_server().await;
    let other = client_for(&server, OTHER_ACCOUNT, REGION);
    let id = create_key(&other).await;
    let out = other.get_key_policy().key_id(&id).send().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(out.policy().unwrap()).unwrap();
    assert_eq!(
        doc["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{OTHER_ACCOUNT}:root")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn put_then_get_key_policy() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Mine","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
    client
        .put_key_policy()
        .key_id(&id)
        .policy_name("default")
        .policy(policy)
        .send()
        .await
        .unwrap();
    let out = client
        .get_key_policy()
        .key_id(&id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    assert_eq!(out.policy(), Some(policy));
    server.shutdown().await;
}

fn policy_of_len(len: usize) -> String {
    let head = r#"{"Version":"2012-10-17","Statement":[{"Sid":""#;
    let tail = r#"","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#;
    let pad = len - head.len() - tail.len();
    let p = format!("{head}{}{tail}", "a".repeat(pad));
    assert_eq!(p.len(), len);
    p
}

#[tokio::test]
async fn oversized_policy_is_limit_exceeded() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let (code, _) = expect_err(
        client
            .put_key_policy()
            .key_id(&id)
            .policy_name("default")
            .policy(policy_of_len(32_769))
            .send()
            .await,
    );
    assert_eq!(code, "LimitExceededException");
    // Exactly 32768 bytes is accepted.
    let max = policy_of_len(32_768);
    client
        .put_key_policy()
        .key_id(&id)
        .policy_name("default")
        .policy(&max)
        .send()
        .await
        .unwrap();
    let out = client.get_key_policy().key_id(&id).send().await.unwrap();
    assert_eq!(out.policy(), Some(max.as_str()));
    server.shutdown().await;
}

#[tokio::test]
async fn invalid_policy_json_is_malformed() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let (code, _) = expect_err(
        client
            .put_key_policy()
            .key_id(&id)
            .policy_name("default")
            .policy("{not json")
            .send()
            .await,
    );
    assert_eq!(code, "MalformedPolicyDocumentException");
    let (code, _) = expect_err(client.create_key().policy("not json").send().await);
    assert_eq!(code, "MalformedPolicyDocumentException");
    // The old policy is still in place.
    let out = client.get_key_policy().key_id(&id).send().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(out.policy().unwrap()).unwrap();
    assert_eq!(doc["Id"], "key-default-1");
    server.shutdown().await;
}

#[tokio::test]
async fn list_key_policies_is_default() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let out = client.list_key_policies().key_id(&id).send().await.unwrap();
    assert_eq!(out.policy_names(), &["default".to_owned()]);
    assert!(!out.truncated());
    server.shutdown().await;
}
