"""The AWS Encryption SDK for Python against the emulator, unchanged: it finds KMS through
``AWS_ENDPOINT_URL_KMS`` like any botocore client, encrypts with a data key from
GenerateDataKey under an encryption context, and decrypts, also after the key is rotated.
"""

from __future__ import annotations

import os

import boto3
import pytest

aws_encryption_sdk = pytest.importorskip("aws_encryption_sdk")
from aws_encryption_sdk import CommitmentPolicy  # noqa: E402
from aws_encryption_sdk.key_providers.kms import StrictAwsKmsMasterKeyProvider  # noqa: E402


@pytest.fixture
def esdk_env(monkeypatch):
    endpoint = os.environ["KMS_ENDPOINT"].rstrip("/")
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return endpoint


def test_encryption_sdk_round_trip_and_rotation(esdk_env):
    kms = boto3.client("kms", region_name="us-east-1")
    arn = kms.create_key(Description="esdk")["KeyMetadata"]["Arn"]
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )
    provider = StrictAwsKmsMasterKeyProvider(key_ids=[arn])
    message = b"a message for the encryption sdk " * 100
    ciphertext, header = client.encrypt(
        source=message, key_provider=provider, encryption_context={"tenant": "a"}
    )
    assert message not in ciphertext
    assert [k.key_provider.key_info.decode() for k in header.encrypted_data_keys] == [arn]

    plaintext, decrypted_header = client.decrypt(source=ciphertext, key_provider=provider)
    assert plaintext == message
    assert decrypted_header.encryption_context["tenant"] == "a"

    kms.rotate_key_on_demand(KeyId=arn)
    plaintext, _ = client.decrypt(source=ciphertext, key_provider=provider)
    assert plaintext == message, "messages written before a rotation still decrypt"

    kms.disable_key(KeyId=arn)
    with pytest.raises(aws_encryption_sdk.exceptions.DecryptKeyError):
        client.decrypt(source=ciphertext, key_provider=provider)
    kms.enable_key(KeyId=arn)
    plaintext, _ = client.decrypt(source=ciphertext, key_provider=provider)
    assert plaintext == message, "the failure above was the disabled key"
