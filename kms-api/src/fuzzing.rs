//! Entry points for the coverage-guided fuzz targets in `fuzz/` (each target is a one-liner
//! into this module). Every entry point panics on what must never happen: a panic anywhere in
//! the engine, or an internal error (500) for any input.

use std::sync::Arc;

use crate::crypto::blob::{self, BlobHeader};
use crate::crypto::context::EncryptionContext;
use crate::key::material::KeyMaterial;
use crate::{Kms, ManualClock, Operation, Scope, Secret, SeededRandom};

/// `data[0]` picks the operation, the rest is its JSON body; run on a fresh engine holding one
/// key (`alias/fuzz`, also an AWS managed key on first use of `alias/aws/...`).
pub fn dispatch(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let operation = Operation::ALL[usize::from(pick) % Operation::ALL.len()];
    let (kms, scope) = engine();
    if let Err(err) = kms.dispatch(&scope, operation, body) {
        assert!(
            !err.is_server_fault(),
            "{operation}: {} {}",
            err.aws_type(),
            err.message()
        );
    }
}

/// The ciphertext blob parser, then decryption under a fixed material with and without an
/// encryption context.
pub fn ciphertext_blob(data: &[u8]) {
    let Ok(header) = BlobHeader::parse(data) else {
        return;
    };
    let Ok(material) = KeyMaterial::from_parts(
        crate::KeySpec::SymmetricDefault,
        header.version,
        "fuzz".into(),
        chrono::DateTime::UNIX_EPOCH,
        Secret::from_slice(&[7u8; 32]),
    ) else {
        return;
    };
    let mut context = EncryptionContext::new();
    let _ = blob::open(data, &material, &context);
    context.insert("purpose".into(), "fuzz".into());
    let _ = blob::open(data, &material, &context);
}

fn engine() -> (Kms, Scope) {
    let kms = Kms::builder()
        .clock(Arc::new(ManualClock::at_epoch_seconds(1_800_000_000)))
        .random(Arc::new(SeededRandom::new(0)))
        .build();
    let scope = Scope::new("111122223333", "us-east-1");
    let key = kms
        .create_key(&scope, Default::default())
        .map(|k| k.key_metadata.key_id)
        .unwrap_or_default();
    let _ = kms.create_alias(
        &scope,
        crate::wire::aliases::AliasRequest {
            alias_name: Some("alias/fuzz".into()),
            target_key_id: Some(key.clone()),
        },
    );
    // A key for imported material and a grant, so the import and grant operations have
    // something to work on (the seeded random source makes their IDs the same every run; the
    // corpus names them).
    let _ = kms.create_key(
        &scope,
        crate::wire::keys::CreateKeyRequest {
            origin: Some("EXTERNAL".into()),
            ..Default::default()
        },
    );
    let _ = kms.create_grant(
        &scope,
        crate::wire::grants::CreateGrantRequest {
            key_id: Some(key),
            grantee_principal: Some("arn:aws:iam::111122223333:role/fuzz".into()),
            retiring_principal: Some("arn:aws:iam::111122223333:role/fuzz".into()),
            operations: Some(vec!["Decrypt".into()]),
            ..Default::default()
        },
    );
    (kms, scope)
}

/// The IDs [`dispatch`]'s engine starts with: the symmetric key, the EXTERNAL key, the
/// grant and its token (to write corpus entries that reach the import and grant operations).
pub fn dispatch_fixture() -> (String, String, String, String) {
    let (kms, scope) = engine();
    let mut keys: Vec<_> = kms
        .all_keys()
        .into_iter()
        .map(|k| (k.origin, k.id.to_string(), k.grants.iter().next().cloned()))
        .collect();
    keys.sort_by_key(|(origin, _, _)| *origin == crate::Origin::External);
    let grant = keys[0].2.clone().map(|g| g.id.clone()).unwrap_or_default();
    let token = crate::key::grant::token(
        kms.grant_token_key(),
        &crate::key::id::key_arn(
            &scope,
            keys[0]
                .1
                .parse()
                .unwrap_or(crate::KeyId::single_region([0; 16])),
        ),
        &grant,
        &SeededRandom::new(1),
    );
    (keys[0].1.clone(), keys[1].1.clone(), grant, token)
}

#[cfg(test)]
mod tests {
    #[test]
    fn entry_points_take_any_bytes() {
        for data in [
            &b""[..],
            b"\x00",
            b"\x05{}",
            b"\x01{\"KeyId\":\"alias/fuzz\"}",
            &[1; 80],
        ] {
            super::dispatch(data);
            super::ciphertext_blob(data);
        }
    }

    /// Prints the fixture's IDs (`cargo test -p kms-api fuzzing -- --nocapture`), for corpus
    /// entries.
    #[test]
    fn dispatch_fixture_is_stable() {
        let a = super::dispatch_fixture();
        assert_eq!(a, super::dispatch_fixture());
        println!("{a:?}");
    }
}
