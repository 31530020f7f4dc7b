//! SYMMETRIC_DEFAULT material: 32 random bytes, used as AES-256-GCM (the ciphertext format is
//! in `crypto::blob`).

use aes_gcm::{Aes256Gcm, KeyInit};

use crate::random::RandomSource;
use crate::secret::Secret;

// The cipher wipes its expanded key schedule on drop only with `aes`'s `zeroize` feature (and
// GHASH's key with `polyval`'s); fail the build if that is ever lost.
const _: fn() = assert_zeroize_on_drop::<aes::Aes256>;
fn assert_zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}

/// The length of symmetric key material in bytes (AES-256).
pub(crate) const MATERIAL_LEN: usize = 32;

pub(super) fn generate(random: &dyn RandomSource) -> Secret {
    Secret::random(MATERIAL_LEN, random)
}

pub(super) fn parse(material: &Secret) -> Result<Box<Aes256Gcm>, String> {
    if material.len() != MATERIAL_LEN {
        return Err(format!(
            "symmetric material is {} bytes long, not {MATERIAL_LEN}",
            material.len()
        ));
    }
    Ok(Box::new(Aes256Gcm::new(material.expose().into())))
}
