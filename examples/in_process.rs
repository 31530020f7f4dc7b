//! Using the KMS engine in-process, without HTTP: create a key and an alias, do envelope
//! encryption with a data key, and decrypt it again.
//!
//! Run with `cargo run --release --example in_process`.

use kms_api::wire::aliases::AliasRequest;
use kms_api::wire::crypto::{DecryptRequest, GenerateDataKeyRequest};
use kms_api::wire::keys::CreateKeyRequest;
use kms_api::{Kms, KmsError, Scope};

fn main() -> Result<(), KmsError> {
    let kms = Kms::new();
    let scope = Scope::new("111122223333", "us-east-1");

    let key = kms
        .create_key(
            &scope,
            CreateKeyRequest {
                description: Some("orders".into()),
                ..Default::default()
            },
        )?
        .key_metadata;
    kms.create_alias(
        &scope,
        AliasRequest {
            alias_name: Some("alias/orders".into()),
            target_key_id: Some(key.key_id.clone()),
        },
    )?;
    println!("created {} as alias/orders", key.arn);

    let context = [("order".to_string(), "42".to_string())]
        .into_iter()
        .collect();
    let data_key = kms.generate_data_key(
        &scope,
        GenerateDataKeyRequest {
            key_id: Some("alias/orders".into()),
            key_spec: Some("AES_256".into()),
            encryption_context: Some(context),
            ..Default::default()
        },
    )?;
    let plaintext_key = data_key
        .plaintext
        .expect("GenerateDataKey returns the plaintext key");
    println!(
        "data key: {} bytes, encrypted as {} bytes",
        plaintext_key.len(),
        data_key.ciphertext_blob.as_ref().map_or(0, Vec::len)
    );

    let reopened = kms.decrypt(
        &scope,
        DecryptRequest {
            ciphertext_blob: data_key.ciphertext_blob.clone(),
            encryption_context: Some(
                [("order".to_string(), "42".to_string())]
                    .into_iter()
                    .collect(),
            ),
            ..Default::default()
        },
    )?;
    assert_eq!(
        reopened.plaintext.as_ref().map(kms_api::Secret::expose),
        Some(plaintext_key.expose())
    );
    println!(
        "decrypted the data key with material {}",
        reopened.key_material_id.as_deref().unwrap_or("?")
    );

    let wrong = kms.decrypt(
        &scope,
        DecryptRequest {
            ciphertext_blob: data_key.ciphertext_blob,
            ..Default::default()
        },
    );
    // AWS gives this error no message, and neither does the engine.
    let err = wrong.unwrap_err();
    println!(
        "without the encryption context: {} (message: {:?})",
        err.aws_type(),
        err.message()
    );
    Ok(())
}
