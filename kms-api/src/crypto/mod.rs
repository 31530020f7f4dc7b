//! Cryptography: the ciphertext blob ([`blob`]) and the encryption context as AAD
//! ([`context`]).

pub mod blob;
pub mod context;
