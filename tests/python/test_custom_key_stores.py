"""Custom key stores with boto3 and the AWS CLI: a CloudHSM key store from creation to
deletion (DISCONNECTED, CONNECTING, then CONNECTED on the emulated clock), a key in it whose
ciphertext decrypts, ``Unavailable`` while the store is disconnected or failed (the admin
API's ``POST /_kms/custom-key-stores/disconnect``), and an external key store listed by the CLI.

Same setup as ``test_smoke.py``; every test starts from ``POST /_kms/reset``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from test_rotation import advance
from test_smoke import (  # noqa: F401  (fixtures are used by name)
    _endpoint,
    _isolated_aws_env,
    aws,
    kms,
    reset_server,
)

CLUSTER = "cluster-234567abcdefg"
XKS_SECRET = "a" * 43


def create_hsm_store(kms, name: str = "hsm") -> str:
    return kms.create_custom_key_store(
        CustomKeyStoreName=name,
        CloudHsmClusterId=CLUSTER,
        TrustAnchorCertificate="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        KeyStorePassword="kmsuser-password",
    )["CustomKeyStoreId"]


def describe_store(kms, store_id: str) -> dict:
    return kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]


def connect(kms, store_id: str) -> None:
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    advance(2)  # connecting takes 2 s of emulated time
    assert describe_store(kms, store_id)["ConnectionState"] == "CONNECTED"


def fail_connection(store_id: str, code: str | None) -> int:
    body = {"CustomKeyStoreId": store_id}
    if code:
        body["ConnectionErrorCode"] = code
    req = urllib.request.Request(_endpoint() + "/_kms/custom-key-stores/disconnect", method="POST",
                                 data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]


def test_cloudhsm_key_store_lifecycle(kms):
    store_id = create_hsm_store(kms)
    store = describe_store(kms, store_id)
    assert store["ConnectionState"] == "DISCONNECTED"
    assert store["CustomKeyStoreType"] == "AWS_CLOUDHSM" and store["CloudHsmClusterId"] == CLUSTER
    assert "KeyStorePassword" not in json.dumps(store, default=str)
    assert error(kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["Code"] == \
        "CustomKeyStoreInvalidStateException"
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert describe_store(kms, store_id)["ConnectionState"] == "CONNECTING"
    advance(2)
    assert describe_store(kms, store_id)["ConnectionState"] == "CONNECTED"
    md = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"]
    assert (md["Origin"], md["CustomKeyStoreId"], md["CloudHsmClusterId"]) == ("AWS_CLOUDHSM", store_id, CLUSTER)
    sealed = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"hsm")["CiphertextBlob"]
    assert len(kms.generate_random(NumberOfBytes=8, CustomKeyStoreId=store_id)["Plaintext"]) == 8

    # An injected failure: FAILED with its code, the key Unavailable.
    assert fail_connection(store_id, "NETWORK_ERRORS") == 200
    store = describe_store(kms, store_id)
    assert (store["ConnectionState"], store["ConnectionErrorCode"]) == ("FAILED", "NETWORK_ERRORS")
    assert kms.describe_key(KeyId=md["KeyId"])["KeyMetadata"]["KeyState"] == "Unavailable"
    assert error(kms.decrypt, CiphertextBlob=sealed) == {
        "Code": "KMSInvalidStateException", "Message": f"{md['Arn']} is unavailable."}
    assert error(kms.connect_custom_key_store, CustomKeyStoreId=store_id)["Code"] == \
        "CustomKeyStoreInvalidStateException"
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    connect(kms, store_id)
    assert kms.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"hsm"

    # Deleting needs a disconnected store without keys.
    assert error(kms.delete_custom_key_store, CustomKeyStoreId=store_id)["Code"] == \
        "CustomKeyStoreInvalidStateException"
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert error(kms.delete_custom_key_store, CustomKeyStoreId=store_id)["Code"] == \
        "CustomKeyStoreHasCMKsException"
    kms.schedule_key_deletion(KeyId=md["KeyId"], PendingWindowInDays=7)
    advance(7 * 86_400)
    kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    assert error(kms.describe_custom_key_stores, CustomKeyStoreId=store_id)["Code"] == \
        "CustomKeyStoreNotFoundException"


def test_key_store_names_are_unique_and_paged(kms):
    first = create_hsm_store(kms, "one")
    assert error(create_hsm_store, kms=kms, name="one")["Code"] == "CustomKeyStoreNameInUseException"
    kms.update_custom_key_store(CustomKeyStoreId=first, NewCustomKeyStoreName="renamed")
    page = kms.describe_custom_key_stores(Limit=1)
    assert [s["CustomKeyStoreName"] for s in page["CustomKeyStores"]] == ["renamed"]
    assert page["Truncated"] is False
    found = kms.describe_custom_key_stores(CustomKeyStoreName="renamed")["CustomKeyStores"]
    assert [s["CustomKeyStoreId"] for s in found] == [first]


def test_cli_creates_and_lists_an_external_key_store():
    # As JSON input: the AWS CLI v1 would fetch an https:// argument as a parameter file.
    request = {
        "CustomKeyStoreName": "xks", "CustomKeyStoreType": "EXTERNAL_KEY_STORE",
        "XksProxyUriEndpoint": "https://xks.example.com", "XksProxyUriPath": "/kms/xks/v1",
        "XksProxyConnectivity": "PUBLIC_ENDPOINT",
        "XksProxyAuthenticationCredential": {"AccessKeyId": "ABCDEFGHIJKLMNOPQRST",
                                             "RawSecretAccessKey": XKS_SECRET},
    }
    created = json.loads(aws("create-custom-key-store", "--cli-input-json", json.dumps(request)).stdout)
    listed = json.loads(aws("describe-custom-key-stores").stdout)["CustomKeyStores"]
    assert [s["CustomKeyStoreId"] for s in listed] == [created["CustomKeyStoreId"]]
    proxy = listed[0]["XksProxyConfiguration"]
    assert proxy == {"Connectivity": "PUBLIC_ENDPOINT", "AccessKeyId": "ABCDEFGHIJKLMNOPQRST",
                     "UriEndpoint": "https://xks.example.com", "UriPath": "/kms/xks/v1"}
    assert XKS_SECRET not in json.dumps(listed)
