//! Grants and imported material in the engine: what a grant token costs a Decrypt (against
//! one without), a page of ListGrants on a key with 1,000 grants, and ImportKeyMaterial
//! (RSA-OAEP unwrapping under RSA_2048 and RSA_AES_KEY_WRAP under RSA_4096).

use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
use criterion::{Criterion, criterion_group, criterion_main};
use kms_api::wire::crypto::{DecryptRequest, EncryptRequest};
use kms_api::wire::grants::{CreateGrantRequest, ListGrantsRequest};
use kms_api::wire::import::{GetParametersForImportRequest, ImportKeyMaterialRequest};
use kms_api::wire::keys::CreateKeyRequest;
use kms_api::{Kms, Scope, Secret};

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

fn grant(kms: &Kms, key: &str, grantee: usize) -> String {
    kms.create_grant(
        &scope(),
        CreateGrantRequest {
            key_id: Some(key.to_owned()),
            grantee_principal: Some(format!("arn:aws:iam::111122223333:role/r{grantee}")),
            operations: Some(vec!["Decrypt".into(), "Encrypt".into()]),
            ..Default::default()
        },
    )
    .expect("create grant")
    .grant_token
}

fn grants(c: &mut Criterion) {
    let kms = Kms::new();
    let key = kms
        .create_key(&scope(), CreateKeyRequest::default())
        .expect("create key")
        .key_metadata
        .key_id;
    let mut token = String::new();
    for i in 0..1000 {
        token = grant(&kms, &key, i);
    }
    let blob = kms
        .encrypt(
            &scope(),
            EncryptRequest {
                key_id: Some(key.clone()),
                plaintext: Some(Secret::from_slice(&[1; 32])),
                ..Default::default()
            },
        )
        .expect("encrypt")
        .ciphertext_blob
        .expect("blob");
    let decrypt = |tokens: Option<Vec<String>>| {
        kms.decrypt(
            &scope(),
            DecryptRequest {
                ciphertext_blob: Some(blob.clone()),
                grant_tokens: tokens.map(Into::into),
                ..Default::default()
            },
        )
        .expect("decrypt")
    };
    let mut group = c.benchmark_group("grants");
    group.bench_function("decrypt/no_token", |b| b.iter(|| decrypt(None)));
    group.bench_function("decrypt/grant_token_of_1000", |b| {
        b.iter(|| decrypt(Some(vec![token.clone()])))
    });
    group.bench_function("list_grants/page_of_50_of_1000", |b| {
        b.iter(|| {
            kms.list_grants(
                &scope(),
                ListGrantsRequest {
                    key_id: Some(key.clone()),
                    ..Default::default()
                },
            )
            .expect("list grants")
        })
    });
    group.finish();
}

fn import(c: &mut Criterion) {
    let kms = Kms::new();
    let key = kms
        .create_key(
            &scope(),
            CreateKeyRequest {
                origin: Some("EXTERNAL".into()),
                ..Default::default()
            },
        )
        .expect("create key")
        .key_metadata
        .key_id;
    let material = [7u8; 32];
    let mut group = c.benchmark_group("import");
    for (algorithm, spec) in [
        ("RSAES_OAEP_SHA_256", "RSA_2048"),
        ("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096"),
    ] {
        let params = kms
            .get_parameters_for_import(
                &scope(),
                GetParametersForImportRequest {
                    key_id: Some(key.clone()),
                    wrapping_algorithm: Some(algorithm.into()),
                    wrapping_key_spec: Some(spec.into()),
                },
            )
            .expect("parameters");
        let public = OaepPublicEncryptingKey::new(
            PublicEncryptingKey::from_der(params.public_key.as_deref().expect("public key"))
                .expect("spki"),
        )
        .expect("oaep");
        let oaep = |plain: &[u8]| {
            let mut out = vec![0u8; public.ciphertext_size()];
            let n = public
                .encrypt(&OAEP_SHA256_MGF1SHA256, plain, &mut out, None)
                .expect("encrypt")
                .len();
            out.truncate(n);
            out
        };
        let wrapped = if algorithm == "RSAES_OAEP_SHA_256" {
            oaep(&material)
        } else {
            let aes = [9u8; 32];
            let mut blob = oaep(&aes);
            blob.extend(
                aes_kw::KekAes256::from(aes)
                    .wrap_with_padding_vec(&material)
                    .expect("wrap"),
            );
            blob
        };
        let token = params.import_token.expect("token");
        group.bench_function(format!("import_key_material/{algorithm}/{spec}"), |b| {
            b.iter(|| {
                kms.import_key_material(
                    &scope(),
                    ImportKeyMaterialRequest {
                        key_id: Some(key.clone()),
                        import_token: Some(token.clone()),
                        encrypted_key_material: Some(wrapped.clone()),
                        expiration_model: Some("KEY_MATERIAL_DOES_NOT_EXPIRE".into()),
                        ..Default::default()
                    },
                )
                .expect("import")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, grants, import);
criterion_main!(benches);
