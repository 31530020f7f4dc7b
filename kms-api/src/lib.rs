//! AWS KMS as an in-process Rust library: the engine behind the `kms-emulator` server, usable
//! without HTTP.
//!
//! ```
//! use kms_api::{Kms, Scope};
//! use kms_api::wire::keys::CreateKeyRequest;
//! use kms_api::wire::crypto::GenerateDataKeyRequest;
//!
//! let kms = Kms::new();
//! let scope = Scope::new("111122223333", "us-east-1");
//! let key = kms.create_key(&scope, CreateKeyRequest::default()).unwrap().key_metadata;
//! let dk = kms.generate_data_key(&scope, GenerateDataKeyRequest {
//!     key_id: Some(key.arn),
//!     key_spec: Some("AES_256".into()),
//!     ..Default::default()
//! }).unwrap();
//! assert_eq!(dk.plaintext.unwrap().len(), 32);
//! ```
//!
//! # Layout
//! - [`kms`]: the [`Kms`] handle and its shared state; [`dispatch`](Kms::dispatch) maps an
//!   [`Operation`] and a JSON body to a typed call.
//! - [`ops`]: the operations, one file per group, each a method on [`Kms`].
//! - [`wire`]: request and response types exactly as AWS names them.
//! - [`key`]: key records, material versions, AWS's enumerations.
//! - [`key_store`]: custom key stores (CloudHSM and external), emulated.
//! - [`crypto`]: the ciphertext blob and the encryption context as AAD.
//! - [`error`]: [`KmsError`], one variant per AWS exception.
//! - [`clock`], [`random`], [`persist`]: the injected time, randomness and persistence.
//! - [`authorize`]: [`Kms::dispatch_as`], the KMS evaluation logic for a caller.
//! - [`policy`]: the IAM policy language (key and identity policies), compiled once.
//! - [`secret`]: [`Secret`], the one type for secret bytes.
//! - [`regions`]: the AWS Regions and their partitions.

#![warn(missing_docs)]

pub mod authorize;
pub mod clock;
pub mod crypto;
mod dispatch;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod key;
pub mod key_store;
pub mod kms;
pub mod operation;
pub mod ops;
pub mod persist;
pub mod policy;
pub mod random;
pub mod regions;
pub mod scope;
pub mod secret;
mod validate;
pub mod wire;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::KmsError;
pub use key::family::rsa_pool::{POOL_SIZE as RSA_POOL_SIZE, wait_until_full as rsa_pool_ready};
pub use key::id::{InvalidKeyId, KeyId};
pub use key::record::KeyRecord;
pub use key::spec::{
    DataKeyPairSpec, DataKeySpec, EncapsulationAlgorithm, EncryptionAlgorithm, ExpirationModel,
    GrantOperation, ImportType, KeyAgreementAlgorithm, KeySpec, KeyState, KeyUsage, MacAlgorithm,
    MessageType, Origin, QuotaClass, SigningAlgorithm, SpecAlgorithms, WrappingAlgorithm,
    WrappingKeySpec,
};
pub use kms::{AliasEntry, Kms, KmsBuilder};
pub use operation::Operation;
pub use persist::{Change, InMemory, Persistence};
pub use random::{OsRandom, RandomSource, SeededRandom};
pub use scope::Scope;
pub use secret::Secret;
