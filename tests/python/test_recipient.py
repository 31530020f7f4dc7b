"""The Recipient parameter (AWS Nitro Enclaves) with boto3: an attestation document (CBOR
COSE_Sign1, built here with ``cbor2``) carrying an RSA public key, and CiphertextForRecipient in
place of the plaintext for GenerateDataKey, Decrypt, GenerateRandom, GenerateDataKeyPair and
DeriveSharedSecret. The CMS EnvelopedData is parsed with ``asn1crypto`` and opened with
``cryptography`` (RSAES-OAEP-SHA-256, then AES-256-CBC), independently of the emulator.

Same setup as ``test_smoke.py``; every test starts from ``POST /_kms/reset``.
"""

from __future__ import annotations

import cbor2
import pytest
from asn1crypto import cms
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from test_smoke import (  # noqa: F401  (fixtures are used by name)
    _endpoint,
    _isolated_aws_env,
    kms,
    reset_server,
)


def enclave():
    """An enclave's key pair and the attestation document that carries its public key."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    spki = private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    payload = {
        "module_id": "i-0123456789abcdef0-enc0123456789abcdef", "digest": "SHA384",
        "timestamp": 1_800_000_000_000, "pcrs": {0: bytes(48), 1: bytes(48), 2: bytes(48)},
        "certificate": b"not checked", "cabundle": [b"not checked"],
        "public_key": spki, "user_data": None, "nonce": None,
    }
    document = cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -35}), {}, cbor2.dumps(payload), bytes(96)]))
    return private, {"AttestationDocument": document, "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256"}


def open_for_recipient(private, blob: bytes) -> bytes:
    """Opens a CMS EnvelopedData as an enclave would, without the emulator's code."""
    info = cms.ContentInfo.load(blob)
    assert info["content_type"].native == "enveloped_data"
    env = info["content"]
    (recipient,) = env["recipient_infos"]
    ktri = recipient.chosen
    assert isinstance(ktri, cms.KeyTransRecipientInfo)
    alg = ktri["key_encryption_algorithm"]
    assert alg["algorithm"].native == "rsaes_oaep"
    assert alg["parameters"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert alg["parameters"]["mask_gen_algorithm"]["parameters"]["algorithm"].native == "sha256"
    cek = private.decrypt(ktri["encrypted_key"].native, asym_padding.OAEP(
        mgf=asym_padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    content = env["encrypted_content_info"]
    assert content["content_encryption_algorithm"]["algorithm"].native == "aes256_cbc"
    iv = content["content_encryption_algorithm"]["parameters"].native
    decryptor = Cipher(algorithms.AES(cek), modes.CBC(iv)).decryptor()
    padded = decryptor.update(content["encrypted_content"].native) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def test_data_keys_and_decryption_go_only_to_the_enclave(kms):
    private, recipient = enclave()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    out = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", Recipient=recipient)
    assert "Plaintext" not in out
    data_key = open_for_recipient(private, out["CiphertextForRecipient"])
    assert len(data_key) == 32
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"] == data_key
    opened = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], Recipient=recipient)
    assert "Plaintext" not in opened
    assert open_for_recipient(private, opened["CiphertextForRecipient"]) == data_key
    random = kms.generate_random(NumberOfBytes=48, Recipient=recipient)
    assert "Plaintext" not in random
    assert len(open_for_recipient(private, random["CiphertextForRecipient"])) == 48


def test_key_pairs_and_shared_secrets_go_only_to_the_enclave(kms):
    private, recipient = enclave()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    pair = kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec="ECC_NIST_P256", Recipient=recipient)
    assert "PrivateKeyPlaintext" not in pair
    der = open_for_recipient(private, pair["CiphertextForRecipient"])
    loaded = serialization.load_der_private_key(der, password=None)
    assert loaded.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo) == pair["PublicKey"]

    agreement = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    peer = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    plain = kms.derive_shared_secret(KeyId=agreement, KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    sealed = kms.derive_shared_secret(KeyId=agreement, KeyAgreementAlgorithm="ECDH", PublicKey=peer,
                                      Recipient=recipient)
    assert "SharedSecret" not in sealed
    assert open_for_recipient(private, sealed["CiphertextForRecipient"]) == plain["SharedSecret"]


def tiny_key_document() -> bytes:
    """An attestation document with a 512-bit RSA key: too small for OAEP-SHA-256 of a 32-byte key."""
    n = (1 << 511) | int.from_bytes(bytes(range(1, 64)), "big") | 1
    spki = rsa.RSAPublicNumbers(65537, n).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    payload = cbor2.dumps({"module_id": "x", "public_key": spki})
    return cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -35}), {}, payload, bytes(96)]))


def test_bad_recipients_are_validation_errors(kms):
    _, recipient = enclave()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for bad in [
        {**recipient, "AttestationDocument": b"not an attestation document"},
        {**recipient, "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_1"},
        {**recipient, "AttestationDocument": tiny_key_document()},
        {"AttestationDocument": cbor2.dumps(cbor2.CBORTag(18, [b"", {}, cbor2.dumps({"module_id": "x"}), b""]))},
    ]:
        with pytest.raises(ClientError) as err:
            kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", Recipient=bad)
        assert err.value.response["Error"]["Code"] == "ValidationException"
