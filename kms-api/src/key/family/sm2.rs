//! SM2 material (China Regions only): the 32-byte private scalar, used through the RustCrypto
//! `sm2` crate (AWS-LC has no SM2). SM2DSA signs with the default distinguishing ID
//! `1234567812345678`, as AWS does: RAW messages are hashed as SM3(Z ‖ M), a DIGEST is that
//! 32-byte e. Signatures are DER. SM2PKE ciphertexts are the DER `SM2Cipher` structure of
//! GM/T 0009 (x, y, C3, C2); a raw C1 ‖ C3 ‖ C2 ciphertext decrypts too. Key agreement is
//! ECDH on the SM2 curve: the raw x-coordinate, as for the NIST curves.

use sm2::dsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey};
use sm2::elliptic_curve::point::AffineCoordinates;
use sm2::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sm2::pke::DecryptingKey;
use sm2::{ProjectivePoint, PublicKey, SecretKey};

use crate::error::KmsError;
use crate::key::spec::MessageType;
use crate::random::RandomSource;
use crate::secret::Secret;

/// AWS's SM2DSA distinguishing ID (the GM/T 0009 default).
const DIST_ID: &str = "1234567812345678";
/// AWS's SM2PKE plaintext limit.
pub(crate) const MAX_PLAINTEXT: usize = 1024;
const SCALAR_LEN: usize = 32;

pub(crate) struct Sm2Key {
    secret: SecretKey,
    signing: SigningKey,
    decrypting: DecryptingKey,
    public_spki: Vec<u8>,
}

pub(super) fn generate(random: &dyn RandomSource) -> Secret {
    loop {
        let candidate = Secret::random(SCALAR_LEN, random);
        // Almost every 32-byte string is a valid scalar (0 < d < n - 1).
        if SecretKey::from_slice(candidate.expose()).is_ok() {
            return candidate;
        }
    }
}

/// An SM2 private key from PKCS#8 DER, as its at-rest scalar (imported material).
pub(super) fn import_der(der: &[u8]) -> Option<Secret> {
    use sm2::pkcs8::DecodePrivateKey;
    let secret = SecretKey::from_pkcs8_der(der).ok()?;
    Some(Secret::from_slice(&secret.to_bytes()))
}

pub(super) fn parse(material: &Secret) -> Result<Sm2Key, String> {
    let bad = || "SM2 material is not a 32-byte private scalar".to_string();
    let secret = SecretKey::from_slice(material.expose()).map_err(|_| bad())?;
    let signing = SigningKey::new(DIST_ID, &secret).map_err(|_| bad())?;
    let public_spki = secret
        .public_key()
        .to_public_key_der()
        .map_err(|_| bad())?
        .as_bytes()
        .to_vec();
    Ok(Sm2Key {
        decrypting: DecryptingKey::new(secret.clone()),
        signing,
        secret,
        public_spki,
    })
}

/// `rand_core` 0.10's interface over the engine's random source, for SM2PKE's ephemeral key.
struct EngineRng<'a>(&'a dyn RandomSource);

impl rand_core::TryRng for EngineRng<'_> {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for EngineRng<'_> {}

impl Sm2Key {
    pub(super) fn public_key_der(&self) -> &[u8] {
        &self.public_spki
    }

    pub(super) fn pkcs8(&self) -> Result<Secret, KmsError> {
        let doc = self
            .secret
            .to_pkcs8_der()
            .map_err(|_| KmsError::Internal("SM2 key encoding failed".into()))?;
        Ok(Secret::from_slice(doc.as_bytes()))
    }

    pub(super) fn sign(&self, kind: MessageType, message: &[u8]) -> Result<Vec<u8>, KmsError> {
        let sig: Signature = match kind {
            MessageType::Digest => self.signing.sign_prehash(message),
            _ => self.signing.try_sign(message),
        }
        .map_err(|_| KmsError::Internal("SM2 signing failed".into()))?;
        Ok(sig.to_der().as_bytes().to_vec())
    }

    pub(super) fn verify(&self, kind: MessageType, message: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = Signature::from_der(sig) else {
            return false;
        };
        let key = self.signing.verifying_key();
        match kind {
            MessageType::Digest => key.verify_prehash(message, &sig).is_ok(),
            _ => key.verify(message, &sig).is_ok(),
        }
    }

    pub(super) fn encrypt(
        &self,
        plaintext: &[u8],
        random: &dyn RandomSource,
    ) -> Result<Vec<u8>, KmsError> {
        self.decrypting
            .encrypting_key()
            .encrypt_der(&mut EngineRng(random), plaintext)
            .map_err(|_| KmsError::Internal("SM2 encryption failed".into()))
    }

    pub(super) fn decrypt(&self, ciphertext: &[u8]) -> Result<Secret, KmsError> {
        let plaintext = self
            .decrypting
            .decrypt_der(ciphertext)
            .or_else(|_| self.decrypting.decrypt(ciphertext))
            .map_err(|_| KmsError::InvalidCiphertext)?;
        let plaintext = zeroize::Zeroizing::new(plaintext);
        Ok(Secret::from_slice(&plaintext))
    }

    /// ECDH on the SM2 curve with a peer SubjectPublicKeyInfo.
    pub(super) fn agree(&self, peer_spki: &[u8]) -> Option<Secret> {
        let peer = PublicKey::from_public_key_der(peer_spki).ok()?;
        let shared = (ProjectivePoint::from(*peer.as_affine()) * *self.secret.to_nonzero_scalar())
            .to_affine();
        Some(Secret::from_slice(&shared.x()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    #[test]
    fn signs_encrypts_and_agrees() {
        let random = SeededRandom::new(11);
        let a = parse(&generate(&random)).unwrap();
        let b = parse(&generate(&random)).unwrap();
        for (kind, msg) in [
            (MessageType::Raw, &b"hello"[..]),
            (MessageType::Digest, &[5u8; 32]),
        ] {
            let sig = a.sign(kind, msg).unwrap();
            assert!(a.verify(kind, msg, &sig));
            assert!(!b.verify(kind, msg, &sig));
        }
        let ct = a.encrypt(b"secret", &random).unwrap();
        assert_eq!(a.decrypt(&ct).unwrap().expose(), b"secret");
        assert!(b.decrypt(&ct).is_err());
        let ab = a.agree(b.public_key_der()).unwrap();
        let ba = b.agree(a.public_key_der()).unwrap();
        assert_eq!(ab.expose(), ba.expose());
        assert!(a.agree(b"junk").is_none());
        assert!(a.pkcs8().unwrap().len() > SCALAR_LEN);
    }
}
