//! Cryptography: the ciphertext blob ([`blob`]), the encryption context as AAD ([`context`])
//! the sealed import tokens of imported key material (`import_token`), and the
//! `CiphertextForRecipient` of a Nitro enclave ([`recipient`]).

pub mod blob;
pub mod context;
pub(crate) mod import_token;
pub mod recipient;
