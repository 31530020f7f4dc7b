"""Asymmetric, HMAC and post-quantum KMS operations through the AWS CLI, checked offline.

Same setup as ``test_smoke.py`` and ``test_asymmetric.py`` (whose conventions this module
follows): point ``KMS_ENDPOINT`` at a running emulator started with
``--account-id 111122223333 --region us-east-1``. Every operation is run with ``aws kms ...``
(the ``aws`` helper of test_smoke.py) and, where it has an output to check, checked with the
``cryptography`` package rather than with KMS itself.

The CLI is AWS CLI v1 (awscli 1.46.3), which uses the botocore it vendors (1.43.62), not the
botocore boto3 uses. That model has DeriveSharedSecret but no Encapsulate / Decapsulate
operations, no ML_KEM_* KeySpec / DataKeyPairSpec values, no ENCAPSULATE_DECAPSULATE KeyUsage
and no EncapsulationAlgorithms output member. botocore does not check enums on the client, so
``aws kms create-key --key-spec ML_KEM_768 --key-usage ENCAPSULATE_DECAPSULATE`` and
``get-public-key`` work, but ``aws kms encapsulate`` / ``decapsulate`` do not exist: the ML-KEM
key made through the CLI is decapsulated with boto3 instead, and the CLI drops
EncapsulationAlgorithms from the responses it prints.

Each CLI call costs most of a second (Python start-up and awscli imports), so each key is
created once, through the CLI, and kept in the module-scoped ``cli_keys`` cache; public keys
needed only for an offline check come from boto3 (fast). The server is reset once per module.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, padding, rsa, utils

from test_smoke import (  # noqa: F401  (_isolated_aws_env is an autouse fixture, used by name)
    REGION,
    UUID_RE,
    _HEADER_VIOLATIONS,
    _check_response_headers,
    _endpoint,
    _isolated_aws_env,
    admin,
    aws,
    key_arn,
)

DER = serialization.Encoding.DER
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
PKCS8 = serialization.PrivateFormat.PKCS8

ED25519 = "ECC_NIST_EDWARDS25519"

# (KeySpec, KeyUsage) -> the *Algorithms member of KeyMetadata / GetPublicKey, as AWS documents it.
KEY_TYPES: dict[tuple[str, str], tuple[str, list[str]]] = {
    ("RSA_2048", "ENCRYPT_DECRYPT"): ("EncryptionAlgorithms", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]),
    ("RSA_2048", "SIGN_VERIFY"): ("SigningAlgorithms", [
        "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
        "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
    ]),
    ("ECC_NIST_P256", "SIGN_VERIFY"): ("SigningAlgorithms", ["ECDSA_SHA_256"]),
    ("ECC_NIST_P256", "KEY_AGREEMENT"): ("KeyAgreementAlgorithms", ["ECDH"]),
    (ED25519, "SIGN_VERIFY"): ("SigningAlgorithms", ["ED25519_SHA_512", "ED25519_PH_SHA_512"]),
    ("ML_DSA_44", "SIGN_VERIFY"): ("SigningAlgorithms", ["ML_DSA_SHAKE_256"]),
    ("ML_KEM_768", "ENCAPSULATE_DECAPSULATE"): ("EncapsulationAlgorithms", ["ML_KEM"]),
    ("HMAC_256", "GENERATE_VERIFY_MAC"): ("MacAlgorithms", ["HMAC_SHA_256"]),
}
ALGORITHM_FIELDS = (
    "EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms",
    "KeyAgreementAlgorithms", "EncapsulationAlgorithms",
)
# Members the CLI's (older) model does not know, so it never prints them.
NOT_IN_CLI_MODEL = {"EncapsulationAlgorithms"}
# The deprecated CustomerMasterKeySpec enum predates these specs; AWS omits it for them.
CMK_SPEC_ENUM = {"RSA_2048", "ECC_NIST_P256", "HMAC_256"}


def type_id(t) -> str:
    return "-".join(t)


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kms():
    """One boto3 client for the module; the server is reset once, before the first key is made."""
    status, body = admin("POST", "/_kms/reset")
    assert status == 200, f"POST /_kms/reset -> {status} {body!r}"
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                    region_name=REGION)
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)
    client = session.client("kms", endpoint_url=_endpoint(), config=config)
    client.meta.events.register("after-call.kms", _check_response_headers)
    return client


class CliKeys:
    """Creates each (KeySpec, KeyUsage) key once per module with ``aws kms create-key``."""

    def __init__(self, client):
        self.kms = client
        self._made: dict[tuple[str, str], dict] = {}
        self._public: dict[tuple[str, str], tuple[bytes, object]] = {}

    def get(self, spec: str, usage: str) -> dict:
        k = (spec, usage)
        if k not in self._made:
            out = json.loads(aws("create-key", "--key-spec", spec, "--key-usage", usage,
                                 "--description", f"cli {spec} {usage}").stdout)
            assert set(out) == {"KeyMetadata"}, out
            self._made[k] = out["KeyMetadata"]
        return self._made[k]

    def public(self, spec: str, usage: str) -> tuple[bytes, object]:
        """(DER SubjectPublicKeyInfo from boto3's GetPublicKey, the key loaded with cryptography)."""
        k = (spec, usage)
        if k not in self._public:
            der = self.kms.get_public_key(KeyId=self.get(spec, usage)["KeyId"])["PublicKey"]
            self._public[k] = (der, serialization.load_der_public_key(der))
        return self._public[k]


@pytest.fixture(scope="module")
def cli_keys(kms):
    return CliKeys(kms)


@pytest.fixture(scope="module")
def symmetric(kms):
    """A symmetric key (made with boto3: the CLI's symmetric create-key is test_smoke's)."""
    return kms.create_key(Description="cli-asymmetric data key pairs")["KeyMetadata"]


@pytest.fixture(autouse=True)
def _response_headers_checked():
    """Every response boto3 saw during the test had the JSON 1.1 content type and a request id."""
    yield
    violations = list(_HEADER_VIOLATIONS)
    _HEADER_VIOLATIONS.clear()
    assert not violations, "response header violations:\n" + "\n".join(violations)


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return f"fileb://{path}"


def cli_json(*args: str) -> dict:
    return json.loads(aws(*args).stdout)


def cli_blob(*args: str, query: str) -> bytes:
    """Run a command printing one base64 blob member (``--query X --output text``); decode it."""
    out = aws(*args, "--query", query, "--output", "text").stdout.strip()
    assert out and out != "None", out
    return base64.b64decode(out, validate=True)


# --------------------------------------------------------------------------
# create-key
# --------------------------------------------------------------------------


@pytest.mark.parametrize("spec,usage", list(KEY_TYPES), ids=[type_id(t) for t in KEY_TYPES])
def test_cli_create_key(kms, cli_keys, spec, usage):
    md = cli_keys.get(spec, usage)
    assert UUID_RE.match(md["KeyId"]), md
    assert md["Arn"] == key_arn(md["KeyId"])
    assert md["AWSAccountId"] == "111122223333"
    assert md["KeySpec"] == spec
    assert md["KeyUsage"] == usage
    assert md["KeyState"] == "Enabled"
    assert md["Enabled"] is True
    assert md["Origin"] == "AWS_KMS"
    assert md["KeyManager"] == "CUSTOMER"
    assert md["MultiRegion"] is False
    assert md["Description"] == f"cli {spec} {usage}"
    assert isinstance(md["CreationDate"], (int, float))  # the CLI prints epoch seconds
    if spec in CMK_SPEC_ENUM:
        assert md["CustomerMasterKeySpec"] == spec
    else:
        assert "CustomerMasterKeySpec" not in md, md

    field, algorithms = KEY_TYPES[(spec, usage)]
    if field in NOT_IN_CLI_MODEL:
        assert field not in md, md
    else:
        assert md[field] == algorithms
    for other in ALGORITHM_FIELDS:
        if other != field:
            assert other not in md, (other, md)

    # The key the CLI made is the key boto3 describes (with the members the CLI cannot print).
    described = kms.describe_key(KeyId=md["Arn"])["KeyMetadata"]
    assert described[field] == algorithms
    for member in ("KeyId", "Arn", "KeySpec", "KeyUsage", "KeyState", "Description"):
        assert described[member] == md[member], member
    assert described["CreationDate"].timestamp() == pytest.approx(md["CreationDate"], abs=0.001)


# --------------------------------------------------------------------------
# get-public-key
# --------------------------------------------------------------------------

# Two keys only (each CLI call costs most of a second); test_asymmetric.py's CLI test covers an
# ECC_NIST_P256 public key, and every other public key used below comes from boto3.
PUBLIC_KEY_CASES = [
    ("RSA_2048", "ENCRYPT_DECRYPT"),
    ("ML_KEM_768", "ENCAPSULATE_DECAPSULATE"),
]


@pytest.mark.parametrize("spec,usage", PUBLIC_KEY_CASES, ids=[type_id(t) for t in PUBLIC_KEY_CASES])
def test_cli_get_public_key(kms, cli_keys, spec, usage):
    md = cli_keys.get(spec, usage)
    got = cli_json("get-public-key", "--key-id", md["KeyId"])
    field, algorithms = KEY_TYPES[(spec, usage)]
    expected = {"KeyId": md["Arn"], "KeySpec": spec, "KeyUsage": usage, "PublicKey": got.get("PublicKey")}
    if spec in CMK_SPEC_ENUM:
        expected["CustomerMasterKeySpec"] = spec
    if field not in NOT_IN_CLI_MODEL:
        expected[field] = algorithms
    assert got == expected

    der = base64.b64decode(got["PublicKey"], validate=True)
    assert der == cli_keys.public(spec, usage)[0], "the CLI's public key is not boto3's"
    public = serialization.load_der_public_key(der)
    assert public.public_bytes(DER, SPKI) == der, "not canonical DER"
    if spec == "RSA_2048":
        assert isinstance(public, rsa.RSAPublicKey)
        assert public.key_size == 2048
        assert public.public_numbers().e == 65537
    else:
        # ML-KEM-768: encapsulate offline to the key the CLI printed; KMS must decapsulate to the
        # same secret. The CLI has no decapsulate command (see the module docstring): boto3 does it.
        assert isinstance(public, mlkem.MLKEM768PublicKey)
        assert len(public.public_bytes_raw()) == 1184
        secret, ciphertext = public.encapsulate()
        assert len(ciphertext) == 1088
        resp = kms.decapsulate(KeyId=md["KeyId"], SharedSecretCiphertextBlob=ciphertext,
                               EncapsulationAlgorithm="ML_KEM")
        assert resp["SharedSecret"] == secret
        assert resp["KeyId"] == md["Arn"]
        assert resp["EncapsulationAlgorithm"] == "ML_KEM"


# --------------------------------------------------------------------------
# sign (offline verification) and verify
# --------------------------------------------------------------------------

SIGN_CASES = [
    ("RSA_2048", "RSASSA_PSS_SHA_256", "RAW"),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "DIGEST"),
    (ED25519, "ED25519_SHA_512", "RAW"),
    ("ML_DSA_44", "ML_DSA_SHAKE_256", "RAW"),
]


@pytest.mark.parametrize("spec,alg,message_type", SIGN_CASES, ids=[type_id(c) for c in SIGN_CASES])
def test_cli_sign_verifies_offline(tmp_path, cli_keys, spec, alg, message_type):
    md = cli_keys.get(spec, "SIGN_VERIFY")
    message = f"signed by {alg} through the AWS CLI \x00\xff".encode()
    sent = hashlib.sha256(message).digest() if message_type == "DIGEST" else message
    signature = cli_blob("sign", "--key-id", md["KeyId"], "--message", write(tmp_path / "msg.bin", sent),
                         "--message-type", message_type, "--signing-algorithm", alg, query="Signature")

    _, public = cli_keys.public(spec, "SIGN_VERIFY")
    if alg == "RSASSA_PSS_SHA_256":
        assert len(signature) == 256
        # AWS: MGF1 with the same hash, salt length = digest length (checked strictly).
        public.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                      hashes.SHA256())
    elif alg == "RSASSA_PKCS1_V1_5_SHA_256":
        assert len(signature) == 256
        # Signed from the digest: it is the same signature as over the message itself.
        public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        public.verify(signature, sent, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    elif alg == "ED25519_SHA_512":
        assert isinstance(public, ed25519.Ed25519PublicKey)
        assert len(signature) == 64
        public.verify(signature, message)
    else:
        assert isinstance(public, mldsa.MLDSA44PublicKey)
        assert len(signature) == 2420
        public.verify(signature, message)  # pure ML-DSA, empty context


def test_cli_verify(tmp_path, kms, cli_keys):
    """A signature made by KMS (boto3) over a digest, verified with ``aws kms verify``."""
    md = cli_keys.get("ECC_NIST_P256", "SIGN_VERIFY")
    message = b"verified through the AWS CLI"
    dgst = hashlib.sha256(message).digest()
    signature = kms.sign(KeyId=md["KeyId"], Message=dgst, MessageType="DIGEST",
                         SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    _, public = cli_keys.public("ECC_NIST_P256", "SIGN_VERIFY")
    public.verify(signature, message, ec.ECDSA(hashes.SHA256()))

    verified = cli_json("verify", "--key-id", md["Arn"], "--message", write(tmp_path / "digest.bin", dgst),
                        "--message-type", "DIGEST", "--signature", write(tmp_path / "sig.bin", signature),
                        "--signing-algorithm", "ECDSA_SHA_256")
    assert verified == {"KeyId": md["Arn"], "SignatureValid": True, "SigningAlgorithm": "ECDSA_SHA_256"}


# --------------------------------------------------------------------------
# generate-mac / verify-mac
# --------------------------------------------------------------------------


def test_cli_generate_mac_verify_mac(tmp_path, kms, cli_keys):
    md = cli_keys.get("HMAC_256", "GENERATE_VERIFY_MAC")
    message = b"MAC'd through the AWS CLI \x00\xff"
    msg = write(tmp_path / "msg.bin", message)
    made = cli_json("generate-mac", "--key-id", md["KeyId"], "--message", msg, "--mac-algorithm", "HMAC_SHA_256")
    assert set(made) == {"KeyId", "Mac", "MacAlgorithm"}, made
    assert made["KeyId"] == md["Arn"]
    assert made["MacAlgorithm"] == "HMAC_SHA_256"
    mac = base64.b64decode(made["Mac"], validate=True)
    assert len(mac) == 32
    # HMAC is deterministic: boto3 gets the same tag, and another message gets another one.
    assert kms.generate_mac(KeyId=md["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256")["Mac"] == mac
    assert kms.generate_mac(KeyId=md["KeyId"], Message=message + b"!", MacAlgorithm="HMAC_SHA_256")["Mac"] != mac
    # The key is secret, so there is no offline check of the tag itself; it is at least not an
    # HMAC under an empty or all-zero key.
    for weak in (b"", bytes(32)):
        h = hmac.HMAC(weak, hashes.SHA256())
        h.update(message)
        assert h.finalize() != mac

    verified = cli_json("verify-mac", "--key-id", md["KeyId"], "--message", msg,
                        "--mac-algorithm", "HMAC_SHA_256", "--mac", write(tmp_path / "mac.bin", mac))
    assert verified == {"KeyId": md["Arn"], "MacValid": True, "MacAlgorithm": "HMAC_SHA_256"}


# --------------------------------------------------------------------------
# encrypt / decrypt (RSA OAEP)
# --------------------------------------------------------------------------


def test_cli_rsa_encrypt_decrypt(tmp_path, kms, cli_keys):
    """``aws kms encrypt`` checked by decrypting in KMS (boto3, to save a CLI call), and
    ``aws kms decrypt --key-id ... --encryption-algorithm ...`` of a ciphertext made offline."""
    md = cli_keys.get("RSA_2048", "ENCRYPT_DECRYPT")
    alg = ["--encryption-algorithm", "RSAES_OAEP_SHA_256"]
    plaintext = b"RSA OAEP through the AWS CLI \x00\x01\xfe\xff"

    enc = cli_json("encrypt", "--key-id", md["KeyId"], "--plaintext", write(tmp_path / "plain.bin", plaintext), *alg)
    assert set(enc) == {"CiphertextBlob", "KeyId", "EncryptionAlgorithm"}, enc
    assert enc["KeyId"] == md["Arn"]
    assert enc["EncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    ciphertext = base64.b64decode(enc["CiphertextBlob"], validate=True)
    assert len(ciphertext) == 256  # a bare RSA ciphertext, no KMS envelope
    dec = kms.decrypt(KeyId=md["KeyId"], CiphertextBlob=ciphertext, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert dec["Plaintext"] == plaintext
    # OAEP is randomised: the same plaintext encrypts differently each time.
    again = kms.encrypt(KeyId=md["KeyId"], Plaintext=plaintext, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert again["CiphertextBlob"] != ciphertext

    # A ciphertext made offline with the public key decrypts through the CLI.
    _, public = cli_keys.public("RSA_2048", "ENCRYPT_DECRYPT")
    offline_plain = b"encrypted offline, decrypted by aws kms decrypt"
    offline = public.encrypt(offline_plain, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                         algorithm=hashes.SHA256(), label=None))
    got = cli_json("decrypt", "--key-id", md["KeyId"], "--ciphertext-blob",
                   write(tmp_path / "offline.bin", offline), *alg)
    assert got == {"KeyId": md["Arn"], "Plaintext": got.get("Plaintext"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}
    assert base64.b64decode(got["Plaintext"], validate=True) == offline_plain


# --------------------------------------------------------------------------
# derive-shared-secret (ECDH)
# --------------------------------------------------------------------------


def test_cli_derive_shared_secret(tmp_path, cli_keys):
    md = cli_keys.get("ECC_NIST_P256", "KEY_AGREEMENT")
    peer = ec.generate_private_key(ec.SECP256R1())
    peer_der = peer.public_key().public_bytes(DER, SPKI)
    got = cli_json("derive-shared-secret", "--key-id", md["KeyId"], "--key-agreement-algorithm", "ECDH",
                   "--public-key", write(tmp_path / "peer.der", peer_der))
    assert set(got) == {"KeyId", "SharedSecret", "KeyAgreementAlgorithm", "KeyOrigin"}, got
    assert got["KeyId"] == md["Arn"]
    assert got["KeyAgreementAlgorithm"] == "ECDH"
    assert got["KeyOrigin"] == "AWS_KMS"

    _, kms_public = cli_keys.public("ECC_NIST_P256", "KEY_AGREEMENT")
    assert isinstance(kms_public, ec.EllipticCurvePublicKey)
    assert isinstance(kms_public.curve, ec.SECP256R1)
    expected = peer.exchange(ec.ECDH(), kms_public)
    assert len(expected) == 32
    assert base64.b64decode(got["SharedSecret"], validate=True) == expected


# --------------------------------------------------------------------------
# generate-data-key-pair
# --------------------------------------------------------------------------


def test_cli_generate_data_key_pair_ecc_p256(kms, symmetric):
    got = cli_json("generate-data-key-pair", "--key-id", symmetric["KeyId"], "--key-pair-spec", "ECC_NIST_P256")
    assert got["KeyId"] == symmetric["Arn"]
    assert got["KeyPairSpec"] == "ECC_NIST_P256"
    assert set(got) - {"KeyMaterialId"} == {
        "PrivateKeyCiphertextBlob", "PrivateKeyPlaintext", "PublicKey", "KeyId", "KeyPairSpec"}, got

    private_der = base64.b64decode(got["PrivateKeyPlaintext"], validate=True)
    public_der = base64.b64decode(got["PublicKey"], validate=True)
    private = serialization.load_der_private_key(private_der, password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    assert isinstance(private.curve, ec.SECP256R1)
    assert private.private_bytes(DER, PKCS8, serialization.NoEncryption()) == private_der, "not PKCS#8 DER"
    assert private.public_key().public_bytes(DER, SPKI) == public_der, "private key does not match PublicKey"
    public = serialization.load_der_public_key(public_der)
    signature = private.sign(b"data key pair", ec.ECDSA(hashes.SHA256()))
    public.verify(signature, b"data key pair", ec.ECDSA(hashes.SHA256()))

    # The encrypted copy of the private key is an ordinary ciphertext of the symmetric key.
    dec = kms.decrypt(CiphertextBlob=base64.b64decode(got["PrivateKeyCiphertextBlob"]))
    assert dec["Plaintext"] == private_der
    assert dec["KeyId"] == symmetric["Arn"]
