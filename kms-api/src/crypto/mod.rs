//! Cryptography: the ciphertext blob ([`blob`]), the encryption context as AAD ([`context`])
//! and the sealed import tokens of imported key material (`import_token`).

pub mod blob;
pub mod context;
pub(crate) mod import_token;
