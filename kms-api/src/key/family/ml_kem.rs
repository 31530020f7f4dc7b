//! ML_KEM_512/768/1024 material: the 64-byte FIPS 203 seed (d ‖ z), used through the
//! RustCrypto `ml-kem` crate. AWS-LC's Rust API can neither rebuild a key from its seed nor
//! write the seed-form PKCS#8 that OpenSSL 3.5 and Python `cryptography` read; `ml-kem` does
//! both, and its SubjectPublicKeyInfo is the standard one (id-alg-ml-kem-*).

use ml_kem::pkcs8::{EncodePrivateKey, EncodePublicKey};
use ml_kem::{Decapsulate, DecapsulationKey, MlKem512, MlKem768, MlKem1024};

use crate::error::KmsError;
use crate::key::spec::KeySpec;
use crate::random::RandomSource;
use crate::secret::Secret;

const SEED_LEN: usize = 64;

pub(crate) enum MlKemKey {
    K512(DecapsulationKey<MlKem512>),
    K768(DecapsulationKey<MlKem768>),
    K1024(DecapsulationKey<MlKem1024>),
}

pub(super) fn generate(random: &dyn RandomSource) -> Secret {
    Secret::random(SEED_LEN, random)
}

pub(super) fn parse(spec: KeySpec, material: &Secret) -> Result<MlKemKey, String> {
    let seed = ml_kem::Seed::try_from(material.expose())
        .map_err(|_| format!("{spec} material is not a 64-byte seed"))?;
    Ok(match spec {
        KeySpec::MlKem768 => MlKemKey::K768(DecapsulationKey::from_seed(seed)),
        KeySpec::MlKem1024 => MlKemKey::K1024(DecapsulationKey::from_seed(seed)),
        _ => MlKemKey::K512(DecapsulationKey::from_seed(seed)),
    })
}

/// Runs `$body` with `$k` bound to whichever parameter set's key `$key` holds.
macro_rules! each_level {
    ($key:expr, $k:ident => $body:expr) => {
        match $key {
            MlKemKey::K512($k) => $body,
            MlKemKey::K768($k) => $body,
            MlKemKey::K1024($k) => $body,
        }
    };
}

impl MlKemKey {
    pub(super) fn public_key_der(&self) -> Result<Vec<u8>, KmsError> {
        let doc = each_level!(self, k => k.encapsulation_key().to_public_key_der())
            .map_err(|_| KmsError::Internal("ML-KEM public key encoding failed".into()))?;
        Ok(doc.as_bytes().to_vec())
    }

    pub(super) fn pkcs8(&self) -> Result<Secret, KmsError> {
        let doc = each_level!(self, k => k.to_pkcs8_der())
            .map_err(|_| KmsError::Internal("ML-KEM private key encoding failed".into()))?;
        Ok(Secret::from_slice(doc.as_bytes()))
    }

    /// A fresh encapsulation; its message `m` comes from `random` (FIPS 203's random input).
    pub(super) fn encapsulate(&self, random: &dyn RandomSource) -> (Vec<u8>, Secret) {
        let mut m = zeroize::Zeroizing::new([0u8; 32]);
        random.fill(m.as_mut());
        each_level!(self, k => {
            let (ct, shared) = k
                .encapsulation_key()
                .encapsulate_deterministic(&ml_kem::B32::from(*m));
            (ct.to_vec(), Secret::from_slice(&shared))
        })
    }

    pub(super) fn decapsulate(&self, ct: &[u8]) -> Option<Secret> {
        each_level!(self, k => {
            let ct = ct.try_into().ok()?;
            Some(Secret::from_slice(&k.decapsulate(&ct)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_lc_encapsulates_to_our_public_key() {
        // An independent implementation (AWS-LC) encapsulates to the raw key inside our SPKI;
        // we decapsulate to the same secret.
        use aws_lc_rs::kem::{EncapsulationKey, ML_KEM_512, ML_KEM_768, ML_KEM_1024};
        let random = crate::random::SeededRandom::new(4);
        for (spec, alg, raw_len) in [
            (KeySpec::MlKem512, &ML_KEM_512, 800),
            (KeySpec::MlKem768, &ML_KEM_768, 1184),
            (KeySpec::MlKem1024, &ML_KEM_1024, 1568),
        ] {
            let key = parse(spec, &generate(&random)).unwrap();
            let spki = key.public_key_der().unwrap();
            let raw = &spki[spki.len() - raw_len..];
            let ek = EncapsulationKey::new(alg, raw).unwrap();
            let (ct, theirs) = ek.encapsulate().unwrap();
            let ours = key.decapsulate(ct.as_ref()).unwrap();
            assert_eq!(ours.expose(), theirs.as_ref());
            let (ct2, ours2) = key.encapsulate(&random);
            assert_eq!(key.decapsulate(&ct2).unwrap().expose(), ours2.expose());
            assert!(key.decapsulate(&ct2[1..]).is_none());
        }
    }
}
