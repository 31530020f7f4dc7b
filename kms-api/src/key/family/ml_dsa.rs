//! ML_DSA_44/65/87 material: the 32-byte FIPS 204 seed. RAW messages are signed with pure
//! ML-DSA and an empty context in AWS-LC; EXTERNAL_MU (a 64-byte mu, FIPS 204 6.2) with the
//! RustCrypto `ml-dsa` crate, since AWS-LC's Rust API cannot sign a given mu.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    self, KeyPair as _, PqdsaKeyPair, PqdsaSigningAlgorithm, PqdsaVerificationAlgorithm,
    UnparsedPublicKey,
};
use ml_dsa::{ExpandedSigningKey, MlDsa44, MlDsa65, MlDsa87, MlDsaParams};

use crate::error::KmsError;
use crate::key::spec::{KeySpec, MessageType};
use crate::random::RandomSource;
use crate::secret::Secret;

const SEED_LEN: usize = 32;
/// The length of an EXTERNAL_MU message.
pub(crate) const MU_LEN: usize = 64;

pub(crate) struct MlDsaKey {
    spec: KeySpec,
    pair: PqdsaKeyPair,
    verification: &'static PqdsaVerificationAlgorithm,
    public_raw: Vec<u8>,
    public_spki: Vec<u8>,
    /// Kept to sign a given mu (the RustCrypto key is expanded per call: EXTERNAL_MU is rare).
    seed: Secret,
}

fn algorithms(
    spec: KeySpec,
) -> (
    &'static PqdsaSigningAlgorithm,
    &'static PqdsaVerificationAlgorithm,
) {
    match spec {
        KeySpec::MlDsa65 => (&signature::ML_DSA_65_SIGNING, &signature::ML_DSA_65),
        KeySpec::MlDsa87 => (&signature::ML_DSA_87_SIGNING, &signature::ML_DSA_87),
        _ => (&signature::ML_DSA_44_SIGNING, &signature::ML_DSA_44),
    }
}

pub(super) fn generate(random: &dyn RandomSource) -> Secret {
    Secret::random(SEED_LEN, random)
}

pub(super) fn parse(spec: KeySpec, material: &Secret) -> Result<MlDsaKey, String> {
    let bad = || format!("{spec} material is not a 32-byte seed");
    if material.len() != SEED_LEN {
        return Err(bad());
    }
    let (signing, verification) = algorithms(spec);
    let pair = PqdsaKeyPair::from_seed(signing, material.expose()).map_err(|_| bad())?;
    let public_spki = pair
        .public_key()
        .as_der()
        .map_err(|_| bad())?
        .as_ref()
        .to_vec();
    Ok(MlDsaKey {
        spec,
        public_raw: pair.public_key().as_ref().to_vec(),
        pair,
        verification,
        public_spki,
        seed: Secret::from_slice(material.expose()),
    })
}

fn sign_mu<P: MlDsaParams>(seed: &[u8], mu: &[u8]) -> Option<Vec<u8>> {
    let seed = ml_dsa::Seed::try_from(seed).ok()?;
    let mu = <[u8; MU_LEN]>::try_from(mu).ok()?.into();
    let key = ExpandedSigningKey::<P>::from_seed(&seed);
    Some(key.sign_mu_deterministic(&mu).encode().to_vec())
}

fn verify_mu<P: MlDsaParams>(seed: &[u8], mu: &[u8], sig: &[u8]) -> bool {
    let (Ok(seed), Ok(mu), Ok(sig)) = (
        ml_dsa::Seed::try_from(seed),
        <[u8; MU_LEN]>::try_from(mu),
        ml_dsa::Signature::<P>::try_from(sig),
    ) else {
        return false;
    };
    ExpandedSigningKey::<P>::from_seed(&seed)
        .verifying_key()
        .verify_mu(&mu.into(), &sig)
}

impl MlDsaKey {
    pub(super) fn public_key_der(&self) -> &[u8] {
        &self.public_spki
    }

    pub(super) fn sign(&self, kind: MessageType, message: &[u8]) -> Result<Vec<u8>, KmsError> {
        let fail = || KmsError::Internal("ML-DSA signing failed".into());
        if kind == MessageType::ExternalMu {
            let seed = self.seed.expose();
            return match self.spec {
                KeySpec::MlDsa65 => sign_mu::<MlDsa65>(seed, message),
                KeySpec::MlDsa87 => sign_mu::<MlDsa87>(seed, message),
                _ => sign_mu::<MlDsa44>(seed, message),
            }
            .ok_or_else(fail);
        }
        let mut sig = vec![0u8; self.pair.algorithm().signature_len()];
        let len = self.pair.sign(message, &mut sig).map_err(|_| fail())?;
        sig.truncate(len);
        Ok(sig)
    }

    pub(super) fn verify(&self, kind: MessageType, message: &[u8], sig: &[u8]) -> bool {
        if kind == MessageType::ExternalMu {
            let seed = self.seed.expose();
            return match self.spec {
                KeySpec::MlDsa65 => verify_mu::<MlDsa65>(seed, message, sig),
                KeySpec::MlDsa87 => verify_mu::<MlDsa87>(seed, message, sig),
                _ => verify_mu::<MlDsa44>(seed, message, sig),
            };
        }
        UnparsedPublicKey::new(self.verification, &self.public_raw)
            .verify(message, sig)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::family::{assert_signs, parse as parse_engine};
    use crate::key::spec::SigningAlgorithm;

    #[test]
    fn raw_and_external_mu_sign_and_verify() {
        let random = crate::random::SeededRandom::new(5);
        for spec in [KeySpec::MlDsa44, KeySpec::MlDsa65, KeySpec::MlDsa87] {
            let engine = parse_engine(spec, &generate(&random)).unwrap();
            assert_signs(
                &engine,
                SigningAlgorithm::MlDsaShake256,
                MessageType::Raw,
                b"m",
            );
            assert_signs(
                &engine,
                SigningAlgorithm::MlDsaShake256,
                MessageType::ExternalMu,
                &[1u8; MU_LEN],
            );
        }
    }

    #[test]
    fn both_libraries_derive_the_same_key_from_a_seed() {
        // The RAW path (AWS-LC) and the mu path (ml-dsa) must be one key: a signature made
        // over mu = SHAKE256(tr || 0 || 0 || M) by ml-dsa verifies as a RAW signature in AWS-LC.
        let random = crate::random::SeededRandom::new(6);
        let seed = generate(&random);
        let key = parse(KeySpec::MlDsa65, &seed).unwrap();
        let s = ml_dsa::Seed::try_from(seed.expose()).unwrap();
        let expanded = ExpandedSigningKey::<MlDsa65>::from_seed(&s);
        let sig = expanded.sign_deterministic(b"hello", &[]).unwrap();
        assert!(key.verify(MessageType::Raw, b"hello", &sig.encode()));
    }
}
