//! HMAC_224/256/384/512 material: a random key as long as the spec says (AWS-LC's HMAC).

use aws_lc_rs::hmac;

use crate::key::spec::KeySpec;
use crate::random::RandomSource;
use crate::secret::Secret;

pub(crate) struct HmacKey {
    key: hmac::Key,
}

fn key_len_and_algorithm(spec: KeySpec) -> (usize, hmac::Algorithm) {
    match spec {
        KeySpec::Hmac224 => (28, hmac::HMAC_SHA224),
        KeySpec::Hmac384 => (48, hmac::HMAC_SHA384),
        KeySpec::Hmac512 => (64, hmac::HMAC_SHA512),
        _ => (32, hmac::HMAC_SHA256),
    }
}

pub(super) fn generate(spec: KeySpec, random: &dyn RandomSource) -> Secret {
    Secret::random(key_len_and_algorithm(spec).0, random)
}

pub(super) fn parse(spec: KeySpec, material: &Secret) -> Result<HmacKey, String> {
    let (len, algorithm) = key_len_and_algorithm(spec);
    if material.len() != len {
        return Err(format!(
            "{spec} material is {} bytes long, not {len}",
            material.len()
        ));
    }
    Ok(HmacKey {
        key: hmac::Key::new(algorithm, material.expose()),
    })
}

impl HmacKey {
    pub(super) fn mac(&self, message: &[u8]) -> Vec<u8> {
        hmac::sign(&self.key, message).as_ref().to_vec()
    }

    /// Constant-time (AWS-LC's `CRYPTO_memcmp`).
    pub(super) fn verify(&self, message: &[u8], mac: &[u8]) -> bool {
        hmac::verify(&self.key, message, mac).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    #[test]
    fn rfc_4231_case_2_matches() {
        // RFC 4231 test case 2 ("Jefe"), HMAC-SHA-256; the key length check is ours, so build
        // the key directly.
        let key = HmacKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, b"Jefe"),
        };
        let mac = key.mac(b"what do ya want for nothing?");
        assert_eq!(
            crate::key::material::hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(key.verify(b"what do ya want for nothing?", &mac));
        assert!(!key.verify(b"what do ya want for nothing!", &mac));
        assert!(!key.verify(b"what do ya want for nothing?", &mac[..31]));
    }

    #[test]
    fn key_lengths_follow_the_spec() {
        let r = SeededRandom::new(1);
        for (spec, len, mac_len) in [
            (KeySpec::Hmac224, 28, 28),
            (KeySpec::Hmac256, 32, 32),
            (KeySpec::Hmac384, 48, 48),
            (KeySpec::Hmac512, 64, 64),
        ] {
            let m = generate(spec, &r);
            assert_eq!(m.len(), len);
            assert_eq!(parse(spec, &m).unwrap().mac(b"x").len(), mac_len);
            assert!(parse(KeySpec::Hmac224, &Secret::from_slice(&[0; 3])).is_err());
        }
    }
}
