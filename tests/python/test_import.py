"""Imported key material (BYOK), end to end with boto3 and the AWS CLI: the whole import
ceremony (CreateKey Origin=EXTERNAL -> GetParametersForImport -> wrap -> ImportKeyMaterial),
with the wrapping done by Python ``cryptography`` (RSAES-OAEP, and RSA-OAEP of an AES key plus
RFC 5649 ``aes_key_wrap_with_padding``), and the imported keys checked offline: an HMAC key's
MACs against Python's ``hmac``, an ECC or RSA key's public key and signatures against the key
pair made here. Expiry runs on the emulated clock (``/_kms/clock``).

Same setup as ``test_smoke.py`` (fixtures and helpers reused); every test starts from
``POST /_kms/reset``. Emulated time only moves forward and is shared by the whole run, so dates
are computed from the emulator's clock, never the host's.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from test_rotation import advance
from test_smoke import (  # noqa: F401  (fixtures are used by name)
    KEY_MATERIAL_ID_RE,
    _endpoint,
    _isolated_aws_env,
    aws,
    emulated_now,
    expect_error,
    key,
    key_arn,
    kms,
    reset_server,
)

DAY = 86_400
OAEP = {
    "SHA_1": lambda: padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
    "SHA_256": lambda: padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
}


def external_key(kms, spec: str = "SYMMETRIC_DEFAULT", usage: str | None = None) -> dict:
    args = {"Origin": "EXTERNAL", "KeySpec": spec}
    if usage:
        args["KeyUsage"] = usage
    return kms.create_key(**args)["KeyMetadata"]


def wrap(params: dict, algorithm: str, material: bytes) -> bytes:
    """Wraps ``material`` under the wrapping public key, independently of the emulator."""
    public = serialization.load_der_public_key(params["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    if algorithm.startswith("RSAES_OAEP_"):
        return public.encrypt(material, OAEP[algorithm.removeprefix("RSAES_OAEP_")]())
    assert algorithm.startswith("RSA_AES_KEY_WRAP_")
    aes_key = os.urandom(32)
    rsa_part = public.encrypt(aes_key, OAEP[algorithm.removeprefix("RSA_AES_KEY_WRAP_")]())
    return rsa_part + aes_key_wrap_with_padding(aes_key, material)


def do_import(kms, key_id: str, material: bytes, algorithm: str = "RSAES_OAEP_SHA_256",
              wrapping_spec: str = "RSA_2048", **extra) -> dict:
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm,
                                           WrappingKeySpec=wrapping_spec)
    extra.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                                   EncryptedKeyMaterial=wrap(params, algorithm, material), **extra)


def pkcs8(private_key) -> bytes:
    return private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def describe(kms, key_id: str) -> dict:
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]


@pytest.mark.parametrize("algorithm,wrapping_spec", [
    ("RSAES_OAEP_SHA_1", "RSA_2048"),
    ("RSAES_OAEP_SHA_256", "RSA_3072"),
    ("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048"),
    ("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096"),
])
def test_symmetric_import_ceremony(kms, algorithm, wrapping_spec):
    md = external_key(kms)
    arn = key_arn(md["KeyId"])
    assert md["Origin"] == "EXTERNAL"
    assert md["KeyState"] == "PendingImport" and md["Enabled"] is False
    assert "CurrentKeyMaterialId" not in md and "ExpirationModel" not in md
    expect_error(lambda: kms.encrypt(KeyId=md["KeyId"], Plaintext=b"x"),
                 "KMSInvalidStateException", f"{arn} is pending import.")

    before = emulated_now()
    params = kms.get_parameters_for_import(KeyId=md["KeyId"], WrappingAlgorithm=algorithm,
                                           WrappingKeySpec=wrapping_spec)
    assert params["KeyId"] == arn
    bits = int(wrapping_spec.removeprefix("RSA_"))
    assert serialization.load_der_public_key(params["PublicKey"]).key_size == bits
    valid_to = params["ParametersValidTo"]
    assert dt.timedelta(hours=24) - dt.timedelta(seconds=5) <= valid_to - before <= dt.timedelta(hours=24, seconds=60)

    material = os.urandom(32)
    out = kms.import_key_material(KeyId=md["KeyId"], ImportToken=params["ImportToken"],
                                  EncryptedKeyMaterial=wrap(params, algorithm, material),
                                  ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert out["KeyId"] == arn
    assert KEY_MATERIAL_ID_RE.match(out["KeyMaterialId"])
    md = describe(kms, md["KeyId"])
    assert md["KeyState"] == "Enabled" and md["Enabled"] is True
    assert md["CurrentKeyMaterialId"] == out["KeyMaterialId"]
    assert md["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert "ValidTo" not in md
    blob = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"imported")["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=blob)
    assert dec["Plaintext"] == b"imported"
    assert dec["KeyMaterialId"] == out["KeyMaterialId"]


@pytest.mark.parametrize("spec,length,digest", [
    ("HMAC_224", 28, hashlib.sha224),
    ("HMAC_256", 32, hashlib.sha256),
    ("HMAC_384", 48, hashlib.sha384),
    ("HMAC_512", 64, hashlib.sha512),
])
def test_imported_hmac_key_macs_match_python_hmac(kms, spec, length, digest):
    md = external_key(kms, spec, "GENERATE_VERIFY_MAC")
    assert md["KeyState"] == "PendingImport"
    # Material of the wrong length is refused, and the key stays waiting for its import.
    err = expect_error(lambda: do_import(kms, md["KeyId"], os.urandom(length + 1)),
                       "IncorrectKeyMaterialException")
    assert spec in err.response["Error"]["Message"]
    material = os.urandom(length)
    do_import(kms, md["KeyId"], material)
    md = describe(kms, md["KeyId"])
    assert md["KeyState"] == "Enabled"
    assert "CurrentKeyMaterialId" not in md, "only symmetric keys report their material"
    alg = "HMAC_SHA_" + spec.removeprefix("HMAC_")
    message = b"mac me, offline too"
    mac = kms.generate_mac(KeyId=md["KeyId"], Message=message, MacAlgorithm=alg)["Mac"]
    assert mac == hmac.new(material, message, digest).digest()
    assert kms.verify_mac(KeyId=md["KeyId"], Message=message, MacAlgorithm=alg, Mac=mac)["MacValid"]
    # ImportType and friends are for symmetric keys only.
    expect_error(lambda: do_import(kms, md["KeyId"], material, ImportType="EXISTING_KEY_MATERIAL"),
                 "ValidationException")


@pytest.mark.parametrize("spec,curve,algorithm,hash_alg,wrapping", [
    ("ECC_NIST_P256", ec.SECP256R1(), "ECDSA_SHA_256", hashes.SHA256(), ("RSAES_OAEP_SHA_256", "RSA_2048")),
    ("ECC_NIST_P384", ec.SECP384R1(), "ECDSA_SHA_384", hashes.SHA384(), ("RSAES_OAEP_SHA_1", "RSA_3072")),
    ("ECC_NIST_P521", ec.SECP521R1(), "ECDSA_SHA_512", hashes.SHA512(), ("RSA_AES_KEY_WRAP_SHA_256", "RSA_2048")),
    ("ECC_SECG_P256K1", ec.SECP256K1(), "ECDSA_SHA_256", hashes.SHA256(), ("RSA_AES_KEY_WRAP_SHA_1", "RSA_4096")),
])
def test_imported_ecc_key_signs_under_its_known_public_key(kms, spec, curve, algorithm, hash_alg, wrapping):
    md = external_key(kms, spec, "SIGN_VERIFY")
    private = ec.generate_private_key(curve)
    do_import(kms, md["KeyId"], pkcs8(private), *wrapping)
    public = kms.get_public_key(KeyId=md["KeyId"])["PublicKey"]
    assert public == spki(private.public_key())
    message = b"signed by imported material"
    sig = kms.sign(KeyId=md["KeyId"], Message=message, SigningAlgorithm=algorithm)["Signature"]
    private.public_key().verify(sig, message, ec.ECDSA(hash_alg))
    # A key of another curve is not this key's material.
    other = ec.generate_private_key(ec.SECP384R1() if spec != "ECC_NIST_P384" else ec.SECP256R1())
    expect_error(lambda: do_import(kms, md["KeyId"], pkcs8(other), "RSA_AES_KEY_WRAP_SHA_256", "RSA_4096"),
                 "IncorrectKeyMaterialException")


def test_imported_rsa_key_needs_rsa_aes_wrapping_and_signs(kms):
    md = external_key(kms, "RSA_2048", "SIGN_VERIFY")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    do_import(kms, md["KeyId"], pkcs8(private), "RSA_AES_KEY_WRAP_SHA_256", "RSA_4096")
    assert kms.get_public_key(KeyId=md["KeyId"])["PublicKey"] == spki(private.public_key())
    message = b"pss by imported rsa"
    sig = kms.sign(KeyId=md["KeyId"], Message=message, SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    private.public_key().verify(sig, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                                hashes.SHA256())
    # The same material again (to change nothing) is accepted; another key's is not.
    do_import(kms, md["KeyId"], pkcs8(private), "RSA_AES_KEY_WRAP_SHA_1", "RSA_3072")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    expect_error(lambda: do_import(kms, md["KeyId"], pkcs8(other), "RSA_AES_KEY_WRAP_SHA_256", "RSA_4096"),
                 "IncorrectKeyMaterialException")


def test_import_token_errors(kms):
    a, b = external_key(kms), external_key(kms)
    material = os.urandom(32)
    params = kms.get_parameters_for_import(KeyId=a["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    wrapped = wrap(params, "RSAES_OAEP_SHA_256", material)
    # Another key's token.
    expect_error(lambda: kms.import_key_material(
        KeyId=b["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"), "InvalidImportTokenException")
    # A garbled token.
    garbled = bytearray(params["ImportToken"])
    garbled[len(garbled) // 2] ^= 1
    expect_error(lambda: kms.import_key_material(
        KeyId=a["KeyId"], ImportToken=bytes(garbled), EncryptedKeyMaterial=wrapped,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"), "InvalidImportTokenException")
    # Material wrapped under another public key (or with another algorithm) does not unwrap.
    other = kms.get_parameters_for_import(KeyId=a["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                          WrappingKeySpec="RSA_2048")
    expect_error(lambda: kms.import_key_material(
        KeyId=a["KeyId"], ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(other, "RSAES_OAEP_SHA_256", material),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"), "InvalidCiphertextException", "")
    expect_error(lambda: kms.import_key_material(
        KeyId=a["KeyId"], ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params, "RSAES_OAEP_SHA_1", material),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"), "InvalidCiphertextException", "")
    # The default expiration model needs ValidTo (AWS's recorded text).
    expect_error(lambda: kms.import_key_material(
        KeyId=a["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped),
        "ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
    # An expired token: 24 hours later on the emulated clock.
    advance(DAY + 60)
    expect_error(lambda: kms.import_key_material(
        KeyId=a["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"), "ExpiredImportTokenException")
    assert describe(kms, a["KeyId"])["KeyState"] == "PendingImport"


def test_get_parameters_for_import_errors(kms, key):
    key = key["KeyId"]
    expect_error(lambda: kms.get_parameters_for_import(
        KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"),
        "UnsupportedOperationException", f"{key_arn(key)} origin is AWS_KMS which is not valid for this operation.")
    expect_error(lambda: kms.delete_imported_key_material(KeyId=key),
                 "UnsupportedOperationException", f"{key_arn(key)} origin is AWS_KMS which is not valid for this operation.")
    ext = external_key(kms)["KeyId"]
    expect_error(lambda: kms.get_parameters_for_import(
        KeyId=ext, WrappingAlgorithm="RSAES_PKCS1_V1_5", WrappingKeySpec="RSA_2048"), "ValidationException")
    # SM2 wrapping exists only in the China Regions.
    err = expect_error(lambda: kms.get_parameters_for_import(
        KeyId=ext, WrappingAlgorithm="SM2PKE", WrappingKeySpec="RSA_2048"), "ValidationException")
    assert "Member must satisfy enum value set" in err.response["Error"]["Message"]
    # Ed25519 and ML-DSA material is generated by KMS only.
    expect_error(lambda: external_key(kms, "ML_DSA_44", "SIGN_VERIFY"), "UnsupportedOperationException")


def test_expiry_on_the_emulated_clock_and_reimport(kms):
    md = external_key(kms)
    material = os.urandom(32)
    now = emulated_now()
    # ValidTo at most 365 days ahead.
    expect_error(lambda: do_import(kms, md["KeyId"], material, ExpirationModel="KEY_MATERIAL_EXPIRES",
                                   ValidTo=now + dt.timedelta(days=366)), "ValidationException")
    valid_to = (now + dt.timedelta(days=2)).replace(microsecond=0)
    out = do_import(kms, md["KeyId"], material, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    described = describe(kms, md["KeyId"])
    assert described["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert described["ValidTo"] == valid_to
    blob = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"before expiry")["CiphertextBlob"]

    moved = advance(3 * DAY)
    assert moved["expirations"] == 1
    described = describe(kms, md["KeyId"])
    assert described["KeyState"] == "PendingImport" and described["Enabled"] is False
    assert described["CurrentKeyMaterialId"] == out["KeyMaterialId"]
    assert "ExpirationModel" not in described and "ValidTo" not in described
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob), "KMSInvalidStateException",
                 f"{key_arn(md['KeyId'])} is pending import.")
    # Other material is not the key's; the same material brings every ciphertext back.
    expect_error(lambda: do_import(kms, md["KeyId"], os.urandom(32)), "IncorrectKeyMaterialException")
    again = do_import(kms, md["KeyId"], material, "RSA_AES_KEY_WRAP_SHA_256", "RSA_3072")
    assert again["KeyMaterialId"] == out["KeyMaterialId"]
    assert describe(kms, md["KeyId"])["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before expiry"


def test_delete_imported_material_and_reimport(kms):
    md = external_key(kms)
    material = os.urandom(32)
    out = do_import(kms, md["KeyId"], material)
    blob = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"kept")["CiphertextBlob"]
    deleted = kms.delete_imported_key_material(KeyId=md["KeyId"])
    assert deleted["KeyId"] == key_arn(md["KeyId"])
    assert deleted["KeyMaterialId"] == out["KeyMaterialId"]
    described = describe(kms, md["KeyId"])
    assert described["KeyState"] == "PendingImport" and described["Enabled"] is False
    assert described["CurrentKeyMaterialId"] == out["KeyMaterialId"]
    assert "ExpirationModel" not in described
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob), "KMSInvalidStateException")
    expect_error(lambda: kms.enable_key(KeyId=md["KeyId"]), "KMSInvalidStateException",
                 f"{key_arn(md['KeyId'])} is pending import.")
    do_import(kms, md["KeyId"], material, KeyMaterialId=out["KeyMaterialId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    # On a key with no material yet, the default is NEW_KEY_MATERIAL, which takes no ID; and
    # deleting what is not there yet names nothing.
    fresh = external_key(kms)["KeyId"]
    expect_error(lambda: do_import(kms, fresh, material, KeyMaterialId=out["KeyMaterialId"]),
                 "ValidationException")
    assert "KeyMaterialId" not in kms.delete_imported_key_material(KeyId=fresh)
    # A KeyMaterialId that is not the material's is refused.
    expect_error(lambda: do_import(kms, md["KeyId"], material, KeyMaterialId="0" * 64),
                 "IncorrectKeyMaterialException")


def test_rotating_imported_material(kms):
    md = external_key(kms)
    arn = key_arn(md["KeyId"])
    first_material, second_material = os.urandom(32), os.urandom(32)
    first = do_import(kms, md["KeyId"], first_material, KeyMaterialDescription="first one")["KeyMaterialId"]
    old = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"old")["CiphertextBlob"]
    expect_error(lambda: kms.rotate_key_on_demand(KeyId=md["KeyId"]), "KMSInvalidStateException",
                 f"No available key material pending rotation for the key: {arn}.")
    # The same material as new material is already the key's.
    expect_error(lambda: do_import(kms, md["KeyId"], first_material, ImportType="NEW_KEY_MATERIAL"),
                 "IncorrectKeyMaterialException")
    second = do_import(kms, md["KeyId"], second_material, ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    assert second != first
    assert describe(kms, md["KeyId"])["CurrentKeyMaterialId"] == first, "pending rotation"
    third = os.urandom(32)
    err = expect_error(lambda: do_import(kms, md["KeyId"], third, ImportType="NEW_KEY_MATERIAL"),
                       "KMSInvalidStateException")
    message = err.response["Error"]["Message"]
    assert message.startswith("New key material (id: ") and message.endswith(
        f"cannot be imported into KMS key {arn}, because another key material (id: {second}) is pending rotation.")

    listed = kms.list_key_rotations(KeyId=md["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"], r["ImportState"]) for r in listed] == [
        (first, "CURRENT", "IMPORTED"), (second, "PENDING_ROTATION", "IMPORTED")]
    assert listed[0]["KeyMaterialDescription"] == "first one"
    assert all(r["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE" for r in listed)
    assert "RotationDate" not in listed[1]
    assert kms.list_key_rotations(KeyId=md["KeyId"])["Rotations"] == []

    assert kms.rotate_key_on_demand(KeyId=md["KeyId"])["KeyId"] == arn
    assert describe(kms, md["KeyId"])["CurrentKeyMaterialId"] == second
    new = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"new")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new)["KeyMaterialId"] == second
    assert kms.decrypt(CiphertextBlob=old)["KeyMaterialId"] == first
    rotations = kms.list_key_rotations(KeyId=md["KeyId"])["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"], r["RotationType"]) for r in rotations] == [
        (second, "CURRENT", "ON_DEMAND")]
    # Deleting the old material makes the whole key wait for it again.
    kms.delete_imported_key_material(KeyId=md["KeyId"], KeyMaterialId=first)
    assert describe(kms, md["KeyId"])["KeyState"] == "PendingImport"
    do_import(kms, md["KeyId"], first_material, ImportType="EXISTING_KEY_MATERIAL")
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"old"


def test_cli_import_ceremony(tmp_path, kms):
    created = json.loads(aws("create-key", "--origin", "EXTERNAL").stdout)["KeyMetadata"]
    assert created["KeyState"] == "PendingImport"
    key_id = created["KeyId"]
    params = json.loads(aws("get-parameters-for-import", "--key-id", key_id,
                            "--wrapping-algorithm", "RSA_AES_KEY_WRAP_SHA_256",
                            "--wrapping-key-spec", "RSA_3072").stdout)
    decoded = {"PublicKey": base64.b64decode(params["PublicKey"])}
    material = os.urandom(32)
    (tmp_path / "token.bin").write_bytes(base64.b64decode(params["ImportToken"]))
    (tmp_path / "wrapped.bin").write_bytes(wrap(decoded, "RSA_AES_KEY_WRAP_SHA_256", material))
    valid_to = (emulated_now() + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = json.loads(aws("import-key-material", "--key-id", key_id,
                         "--encrypted-key-material", f"fileb://{tmp_path / 'wrapped.bin'}",
                         "--import-token", f"fileb://{tmp_path / 'token.bin'}",
                         "--expiration-model", "KEY_MATERIAL_EXPIRES", "--valid-to", valid_to).stdout)
    assert KEY_MATERIAL_ID_RE.match(out["KeyMaterialId"])
    described = describe(kms, key_id)
    assert described["KeyState"] == "Enabled"
    assert described["ValidTo"].strftime("%Y-%m-%dT%H:%M:%SZ") == valid_to
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"cli")["CiphertextBlob"]
    deleted = json.loads(aws("delete-imported-key-material", "--key-id", key_id).stdout)
    assert deleted["KeyMaterialId"] == out["KeyMaterialId"]
    assert describe(kms, key_id)["KeyState"] == "PendingImport"
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob), "KMSInvalidStateException")
