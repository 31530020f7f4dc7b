//! Grants over HTTP with aws-sdk-kms: CreateGrant, ListGrants, ListRetirableGrants,
//! RetireGrant and RevokeGrant with the SDK's typed shapes and errors, and a restart on the same
//! data directory: grants and their tokens come back, retired ones stay gone, and grants of a
//! deleted key are deleted with it.

use crate::common;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::GrantOperation;
use common::*;

const APP: &str = "arn:aws:iam::111122223333:role/app";
const OPS: &str = "arn:aws:iam::111122223333:role/ops";

async fn grant(client: &Client, key_id: &str, ops: &[GrantOperation]) -> (String, String) {
    let out = client
        .create_grant()
        .key_id(key_id)
        .grantee_principal(APP)
        .retiring_principal(OPS)
        .set_operations(Some(ops.to_vec()))
        .send()
        .await
        .unwrap();
    (out.grant_id.unwrap(), out.grant_token.unwrap())
}

async fn grant_ids(client: &Client, key_id: &str) -> Vec<String> {
    client
        .list_grants()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .grants
        .unwrap_or_default()
        .into_iter()
        .map(|g| g.grant_id.unwrap())
        .collect()
}

async fn encrypt_with(client: &Client, key_id: &str, token: &str) -> Result<(), String> {
    client
        .encrypt()
        .key_id(key_id)
        .plaintext(Blob::new("x"))
        .grant_tokens(token)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| err_parts(e).0)
}

#[tokio::test]
async fn grants_with_the_sdk() {
    let (_server, client) = setup().await;
    let key_id = create_key(&client).await;
    let (id, token) = grant(
        &client,
        &key_id,
        &[GrantOperation::Encrypt, GrantOperation::Decrypt],
    )
    .await;
    assert_eq!(id.len(), 64);
    let listed = client.list_grants().key_id(&key_id).send().await.unwrap();
    let entry = &listed.grants()[0];
    assert_eq!(
        entry.key_id(),
        Some(key_arn(REGION, DEFAULT_ACCOUNT, &key_id).as_str())
    );
    assert_eq!(entry.grantee_principal(), Some(APP));
    assert_eq!(
        entry.operations(),
        &[GrantOperation::Encrypt, GrantOperation::Decrypt]
    );
    assert_eq!(
        entry.issuing_account(),
        Some("arn:aws:iam::111122223333:root")
    );
    assert!(entry.creation_date().is_some());
    encrypt_with(&client, &key_id, &token).await.unwrap();
    let retirable = client
        .list_retirable_grants()
        .retiring_principal(OPS)
        .send()
        .await
        .unwrap();
    assert_eq!(retirable.grants().len(), 1);

    let (code, _) = expect_err(
        client
            .create_grant()
            .key_id(&key_id)
            .grantee_principal(APP)
            .operations(GrantOperation::Sign)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    let (code, _) = expect_err(
        client
            .revoke_grant()
            .key_id(&key_id)
            .grant_id("0".repeat(63))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidGrantIdException");

    client
        .retire_grant()
        .grant_token(&token)
        .send()
        .await
        .unwrap();
    assert!(grant_ids(&client, &key_id).await.is_empty());
    assert_eq!(
        encrypt_with(&client, &key_id, &token).await,
        Err("InvalidGrantTokenException".to_owned())
    );
}

#[tokio::test]
async fn grants_and_their_tokens_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("kms-grants-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let server = durable_server(&dir, 5).await;
    let client = client(&server);
    let key_id = create_key(&client).await;
    let doomed = create_key(&client).await;
    let (kept, kept_token) = grant(&client, &key_id, &[GrantOperation::Encrypt]).await;
    let (revoked, revoked_token) = grant(&client, &key_id, &[GrantOperation::Encrypt]).await;
    let (_, doomed_token) = grant(&client, &doomed, &[GrantOperation::Decrypt]).await;
    client
        .revoke_grant()
        .key_id(&key_id)
        .grant_id(&revoked)
        .send()
        .await
        .unwrap();
    client
        .schedule_key_deletion()
        .key_id(&doomed)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    advance_clock(&server, 8 * 86_400).await;
    server.shutdown().await;

    let server = durable_server(&dir, 5).await;
    let client = common::client(&server);
    assert_eq!(grant_ids(&client, &key_id).await, vec![kept]);
    encrypt_with(&client, &key_id, &kept_token).await.unwrap();
    assert_eq!(
        encrypt_with(&client, &key_id, &revoked_token).await,
        Err("InvalidGrantTokenException".to_owned())
    );
    assert_eq!(
        encrypt_with(&client, &key_id, &doomed_token).await,
        Err("InvalidGrantTokenException".to_owned())
    );
    let retirable = client
        .list_retirable_grants()
        .retiring_principal(OPS)
        .send()
        .await
        .unwrap();
    assert_eq!(
        retirable.grants().len(),
        1,
        "the deleted key's grant is gone"
    );
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
}
