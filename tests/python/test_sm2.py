"""SM2 keys in the China Regions, end to end with boto3, checked offline with ``gmssl``.

Same setup as ``test_smoke.py`` / ``test_asymmetric.py`` (whose helpers this module reuses): point
``KMS_ENDPOINT`` at a running emulator (``scripts/python-smoke.sh``). The emulator is started for
us-east-1, but the clients here sign their requests for cn-north-1 (and cn-northwest-1), which puts
them in the China partition: key ARNs are ``arn:aws-cn:kms:...``.

Everything KMS computes with SM2 is checked outside KMS with an independent implementation, the
pure-Python ``gmssl`` package (SM3; SM2 signature verification; C1C3C2 encryption; its point
multiplication for ECDH and key-pair checks), plus the small DER and curve helpers below. What the
emulator implements (kms-api/src/key/family/sm2.rs) and what is checked here:

- SM2DSA with the default distinguishing ID ``1234567812345678`` (GM/T 0009): MessageType RAW signs
  e = SM3(Z || M), Z per GM/T 0003; DIGEST signs the 32-byte e as given. Signatures are DER
  SEQUENCE { INTEGER r, INTEGER s }.
- SM2PKE: the ciphertext is GM/T 0009 SM2Cipher, SEQUENCE { INTEGER x, INTEGER y, OCTET STRING C3
  (the SM3 hash), OCTET STRING C2 }; Decrypt also takes the raw C1 || C3 || C2 with C1 = 04 || x || y.
  At most 1024 bytes of plaintext.
- ECDH on the SM2 curve: the shared secret is the raw 32-byte x-coordinate.
- GetPublicKey / GenerateDataKeyPair: DER SubjectPublicKeyInfo (id-ecPublicKey, named curve SM2
  1.2.156.10197.1.301) and PKCS#8 private keys.
- SM2 exists only in the China Regions; ML-KEM is not offered there.

gmssl caveat: ``CryptSM2.__init__`` strips the public key with ``str.lstrip("04")``, which also eats
any leading '0' / '4' digits of x, so ``gm_crypt`` sets the key attribute directly.

Like test_asymmetric.py, the server is reset once per module and each SM2 key usage is created once.
"""

from __future__ import annotations

import re
import secrets

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from gmssl import func as gm_func
from gmssl import sm2 as gm_sm2
from gmssl import sm3 as gm_sm3

from test_smoke import (  # noqa: F401  (_isolated_aws_env is an autouse fixture, used by name)
    ACCOUNT,
    UUID_RE,
    _HEADER_VIOLATIONS,
    _check_response_headers,
    _endpoint,
    _isolated_aws_env,
    admin,
    expect_error,
    only_response,
)

CN_REGION = "cn-north-1"
CN_OTHER_REGION = "cn-northwest-1"
US_REGION = "us-east-1"

# The SM2 recommended curve (GM/T 0003.5 / GB/T 32918.5): y^2 = x^3 + ax + b over F_p.
P = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)
A = P - 3
B = int("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93", 16)
N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
G = (int("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7", 16),
     int("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0", 16))

DEFAULT_ID = b"1234567812345678"  # the GM/T 0009 default distinguishing ID, the one AWS uses

# DER OBJECT IDENTIFIER TLVs: id-ecPublicKey (1.2.840.10045.2.1), the SM2 curve (1.2.156.10197.1.301)
# and NIST P-256 (1.2.840.10045.3.1.7).
ID_EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")
SM2_CURVE_OID = bytes.fromhex("06082a811ccf5501822d")
P256_CURVE_OID = bytes.fromhex("06082a8648ce3d030107")

USAGE_ALGORITHMS = {
    "SIGN_VERIFY": {"SigningAlgorithms": ["SM2DSA"]},
    "ENCRYPT_DECRYPT": {"EncryptionAlgorithms": ["SM2PKE"]},
    "KEY_AGREEMENT": {"KeyAgreementAlgorithms": ["ECDH"]},
}
ALGORITHM_FIELDS = (
    "EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms",
    "KeyAgreementAlgorithms", "EncapsulationAlgorithms",
)
ML_KEM_SPECS = {"ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"}
SM2PKE_MAX_PLAINTEXT = 1024


def cn_arn(key_id: str, region: str = CN_REGION) -> str:
    return f"arn:aws-cn:kms:{region}:{ACCOUNT}:key/{key_id}"


# --------------------------------------------------------------------------
# DER helpers
# --------------------------------------------------------------------------


def der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def der_uint(value: int) -> bytes:
    """A DER INTEGER TLV of a non-negative integer (minimal, with a 00 byte when the top bit is set)."""
    assert value >= 0
    return der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def der_read(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """The DER TLV at ``data[pos:]``: (tag, content, position after it). Strict: low tag numbers
    only, definite minimal lengths, no truncation."""
    assert pos + 2 <= len(data), "truncated DER"
    tag = data[pos]
    assert tag & 0x1F != 0x1F, f"unexpected high tag number at {pos}"
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        assert 1 <= count <= 4, f"bad length of length {count}"
        raw = data[pos:pos + count]
        assert len(raw) == count and raw[0] != 0, "non-minimal DER length"
        length = int.from_bytes(raw, "big")
        assert length >= 0x80, "non-minimal DER length"
        pos += count
    content = data[pos:pos + length]
    assert len(content) == length, "truncated DER"
    return tag, content, pos + length


def der_children(content: bytes) -> list[tuple[int, bytes]]:
    """The TLVs that make up ``content`` exactly."""
    items, pos = [], 0
    while pos < len(content):
        tag, body, pos = der_read(content, pos)
        items.append((tag, body))
    return items


def der_sequence(data: bytes) -> list[tuple[int, bytes]]:
    """``data`` is exactly one SEQUENCE; its elements."""
    tag, content, end = der_read(data)
    assert tag == 0x30, f"not a SEQUENCE: tag {tag:#x}"
    assert end == len(data), f"{len(data) - end} bytes after the SEQUENCE"
    return der_children(content)


def der_to_uint(content: bytes) -> int:
    """The value of a DER INTEGER's content octets; must be minimal and non-negative."""
    assert content, "empty INTEGER"
    assert content[0] & 0x80 == 0, "negative INTEGER"
    assert not (len(content) > 1 and content[0] == 0 and content[1] & 0x80 == 0), "non-minimal INTEGER"
    return int.from_bytes(content, "big")


def test_der_helpers():
    assert der_uint(0) == bytes.fromhex("020100")
    assert der_uint(0x7F) == bytes.fromhex("02017f")
    assert der_uint(0x80) == bytes.fromhex("02020080")
    assert der_uint(1 << 255) == b"\x02\x21\x00" + (1 << 255).to_bytes(32, "big")
    assert der_uint((1 << 248) - 1) == b"\x02\x20\x00" + b"\xff" * 31
    assert der_read(der(0x04, b"\xaa" * 200)) == (0x04, b"\xaa" * 200, 203)
    assert der_sequence(der(0x30, der_uint(5) + der(0x04, b"x"))) == [(0x02, b"\x05"), (0x04, b"x")]
    for bad in (b"\x02\x81\x01\x00", b"\x02\x02\x00\x01", b"\x02\x01", bytes.fromhex("0201ff")):
        with pytest.raises(AssertionError):
            tag, content, _ = der_read(bad)
            der_to_uint(content)


# --------------------------------------------------------------------------
# SM2 / SM3 helpers (gmssl plus a little curve arithmetic)
# --------------------------------------------------------------------------

Point = tuple[int, int]


def on_curve(pt: Point) -> bool:
    x, y = pt
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def ec_add(p1: Point | None, p2: Point | None) -> Point | None:
    """Affine point addition (None is the point at infinity); used to walk k*G, (k+1)*G, ..."""
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2:
        if (y1 + y2) % P == 0:
            return None
        lam = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def point_hex(pt: Point) -> str:
    return "%064x%064x" % pt


def point_bytes(pt: Point) -> bytes:
    return pt[0].to_bytes(32, "big") + pt[1].to_bytes(32, "big")


def gm_crypt(private: int | None = None, public: Point | None = None, mode: int = 1,
             asn1: bool = False) -> gm_sm2.CryptSM2:
    """A gmssl CryptSM2 (mode 1 = C1C3C2). The public key is set after construction: the
    constructor's ``lstrip("04")`` would also strip leading '0'/'4' digits of x."""
    c = gm_sm2.CryptSM2(private_key="" if private is None else "%064x" % private, public_key="",
                        mode=mode, asn1=asn1)
    c.public_key = point_hex(public) if public is not None else ""
    return c


_GM = gm_crypt()


def gm_mul(k: int, pt: Point = G) -> Point:
    """k * pt with gmssl's point multiplication."""
    assert 0 < k < N
    out = _GM._kg(k, point_hex(pt))
    assert out is not None, "point at infinity"
    return int(out[:64], 16), int(out[64:], 16)


def random_scalar() -> int:
    return secrets.randbelow(N - 1) + 1


def sm3(data: bytes) -> bytes:
    return bytes.fromhex(gm_sm3.sm3_hash(list(data)))


def sm2_z(public: Point, uid: bytes = DEFAULT_ID) -> bytes:
    """Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GM/T 0003.2)."""
    entl = (len(uid) * 8).to_bytes(2, "big")
    return sm3(entl + uid + b"".join(v.to_bytes(32, "big") for v in (A, B, *G, *public)))


def sm2_e(public: Point, message: bytes, uid: bytes = DEFAULT_ID) -> bytes:
    """The 32-byte e = SM3(Z || M) that SM2DSA signs."""
    return sm3(sm2_z(public, uid) + message)


def parse_signature(sig: bytes) -> tuple[int, int]:
    """(r, s) of a DER SM2 signature; the encoding must be strict DER and 0 < r, s < n."""
    items = der_sequence(sig)
    assert [t for t, _ in items] == [0x02, 0x02], sig.hex()
    r, s = (der_to_uint(c) for _, c in items)
    assert 0 < r < N and 0 < s < N, sig.hex()
    return r, s


def der_signature(r: int, s: int) -> bytes:
    return der(0x30, der_uint(r) + der_uint(s))


def gm_verify(public: Point, sig: bytes, *, message: bytes | None = None, e: bytes | None = None) -> bool:
    """Verify a DER SM2 signature with gmssl: over ``message`` (gmssl hashes SM3(Z || M) with the
    default ID) or over a given 32-byte ``e``. gmssl's own DER path must agree with the r||s one."""
    r, s = parse_signature(sig)
    rs = "%064x%064x" % (r, s)
    plain, asn1 = gm_crypt(public=public), gm_crypt(public=public, asn1=True)
    if message is not None:
        ok, ok_asn1 = plain.verify_with_sm3(rs, message), asn1.verify_with_sm3(sig.hex(), message)
    else:
        assert e is not None and len(e) == 32
        ok, ok_asn1 = plain.verify(rs, e), asn1.verify(sig.hex(), e)
    assert bool(ok) == bool(ok_asn1)
    return bool(ok)


def gm_encrypt(public: Point, plaintext: bytes, k: int | None = None) -> bytes:
    """gmssl SM2 encryption in C1C3C2 mode: x || y || C3 || C2 (gmssl's C1 has no 04 prefix).
    With ``k``, that is the ephemeral scalar (gmssl draws it with gmssl.func.random_hex)."""
    c = gm_crypt(public=public, mode=1)
    if k is None:
        # gmssl gives up (None) when the KDF output is all zeros, where GB/T 32918.4 says to
        # draw a new k: for a 1-byte plaintext that is 1 time in 256, so draw again as the
        # standard does.
        out = None
        for _ in range(32):
            out = c.encrypt(plaintext)
            if out is not None:
                break
    else:
        saved = gm_func.random_hex
        gm_func.random_hex = lambda _length: "%064x" % k
        try:
            out = c.encrypt(plaintext)
        finally:
            gm_func.random_hex = saved
    assert out is not None and len(out) == 64 + 32 + len(plaintext)
    return out


def sm2cipher(raw: bytes) -> bytes:
    """The GM/T 0009 SM2Cipher DER of a gmssl C1C3C2 ciphertext."""
    x, y = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    return der(0x30, der_uint(x) + der_uint(y) + der(0x04, raw[64:96]) + der(0x04, raw[96:]))


def parse_sm2cipher(blob: bytes) -> tuple[Point, bytes, bytes]:
    """(C1, C3, C2) of a DER SM2Cipher."""
    items = der_sequence(blob)
    assert [t for t, _ in items] == [0x02, 0x02, 0x04, 0x04], blob[:16].hex()
    c1 = (der_to_uint(items[0][1]), der_to_uint(items[1][1]))
    return c1, items[2][1], items[3][1]


def sm2_spki(pt: Point, curve_oid: bytes = SM2_CURVE_OID) -> bytes:
    """SEQUENCE { SEQUENCE { id-ecPublicKey, curve }, BIT STRING 04 || x || y }."""
    return der(0x30, der(0x30, ID_EC_PUBLIC_KEY + curve_oid) + der(0x03, b"\x00\x04" + point_bytes(pt)))


def parse_sm2_spki(spki: bytes) -> Point:
    """The point of an SM2 SubjectPublicKeyInfo; it must be exactly the canonical encoding."""
    items = der_sequence(spki)
    assert [t for t, _ in items] == [0x30, 0x03], spki.hex()
    assert der_children(items[0][1]) == [(0x06, ID_EC_PUBLIC_KEY[2:]), (0x06, SM2_CURVE_OID[2:])], spki.hex()
    bits = items[1][1]
    assert len(bits) == 66 and bits[:2] == b"\x00\x04", bits.hex()
    pt = (int.from_bytes(bits[2:34], "big"), int.from_bytes(bits[34:], "big"))
    assert on_curve(pt), "public key is not on the SM2 curve"
    assert sm2_spki(pt) == spki
    return pt


def parse_sm2_pkcs8(data: bytes) -> tuple[int, Point | None]:
    """(d, the public point embedded in the ECPrivateKey or None) of an SM2 PKCS#8 PrivateKeyInfo:
    SEQUENCE { version, AlgorithmIdentifier { id-ecPublicKey, sm2 }, OCTET STRING ECPrivateKey }."""
    items = der_sequence(data)
    assert [t for t, _ in items[:3]] == [0x02, 0x30, 0x04], data[:16].hex()
    assert der_to_uint(items[0][1]) in (0, 1)
    assert der_children(items[1][1]) == [(0x06, ID_EC_PUBLIC_KEY[2:]), (0x06, SM2_CURVE_OID[2:])]
    assert all(t in (0xA0, 0x81, 0xA1) for t, _ in items[3:]), [hex(t) for t, _ in items]
    # RFC 5915 ECPrivateKey: SEQUENCE { 1, OCTET STRING d, [0] parameters OPTIONAL, [1] publicKey OPTIONAL }
    ec_items = der_sequence(items[2][1])
    assert ec_items[0] == (0x02, b"\x01"), ec_items[0]
    assert ec_items[1][0] == 0x04 and len(ec_items[1][1]) == 32, ec_items[1]
    d = int.from_bytes(ec_items[1][1], "big")
    assert 0 < d < N
    public = None
    for tag, body in ec_items[2:]:
        if tag == 0xA0:
            assert body == SM2_CURVE_OID, body.hex()
        elif tag == 0xA1:
            t, bits, end = der_read(body)
            assert t == 0x03 and end == len(body) and len(bits) == 66 and bits[:2] == b"\x00\x04", body.hex()
            public = (int.from_bytes(bits[2:34], "big"), int.from_bytes(bits[34:], "big"))
        else:
            raise AssertionError(f"unexpected ECPrivateKey field {tag:#x}")
    return d, public


def flip(data: bytes, index: int | None = None) -> bytes:
    i = len(data) // 2 if index is None else index
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]


def test_offline_sm2_helpers():
    """The offline side is sound: SM3's GB/T 32905 example, gmssl's curve = GM/T 0003.5, gmssl's
    point multiplication agrees with plain affine arithmetic, Z = gmssl's own Z, and gmssl's
    signatures and C1C3C2 ciphertexts round-trip through the helpers."""
    assert sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    table = gm_sm2.default_ecc_table
    assert (int(table["p"], 16), int(table["a"], 16), int(table["b"], 16), int(table["n"], 16)) == (P, A, B, N)
    assert table["g"] == point_hex(G)
    assert on_curve(G)
    assert gm_mul(2) == ec_add(G, G)
    assert gm_mul(3) == ec_add(ec_add(G, G), G)
    assert ec_add(gm_mul(N - 1), G) is None
    d = random_scalar()
    pub = gm_mul(d)
    assert on_curve(pub)
    assert gm_mul(d + 1 if d + 1 < N else 1) == (ec_add(pub, G) if d + 1 < N else G)
    assert sm2_e(pub, b"message").hex() == gm_crypt(public=pub)._sm3_z(b"message")
    sig = gm_crypt(private=d, public=pub).sign_with_sm3(b"message")
    r, s = int(sig[:64], 16), int(sig[64:], 16)
    assert gm_verify(pub, der_signature(r, s), message=b"message")
    assert not gm_verify(pub, der_signature(r, s), message=b"messagf")
    raw = gm_encrypt(pub, b"round trip")
    assert gm_crypt(private=d, public=pub, mode=1).decrypt(raw) == b"round trip"
    assert parse_sm2cipher(sm2cipher(raw)) == ((int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")),
                                               raw[64:96], raw[96:])
    assert parse_sm2_spki(sm2_spki(pub)) == pub


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


def make_client(region: str = CN_REGION):
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)
    client = session.client("kms", endpoint_url=_endpoint(), config=config)
    client.meta.events.register("after-call.kms", _check_response_headers)
    return client


@pytest.fixture(scope="module")
def kms():
    """A cn-north-1 client; the server is reset once, before the first key is made."""
    status, body = admin("POST", "/_kms/reset")
    assert status == 200, f"POST /_kms/reset -> {status} {body!r}"
    return make_client(CN_REGION)


class Sm2Keys:
    """One SM2 key per usage for the module (CreateKey's KeyMetadata), and its public key."""

    def __init__(self, client):
        self.kms = client
        self._made: dict[str, dict] = {}
        self._public: dict[str, tuple[dict, Point]] = {}

    def get(self, usage: str) -> dict:
        if usage not in self._made:
            resp = self.kms.create_key(KeySpec="SM2", KeyUsage=usage)
            assert set(only_response(resp)) == {"KeyMetadata"}
            self._made[usage] = resp["KeyMetadata"]
        return self._made[usage]

    def public(self, usage: str) -> tuple[dict, Point]:
        """(GetPublicKey response, the public point)."""
        if usage not in self._public:
            resp = self.kms.get_public_key(KeyId=self.get(usage)["KeyId"])
            self._public[usage] = (resp, parse_sm2_spki(resp["PublicKey"]))
        return self._public[usage]


@pytest.fixture(scope="module")
def keys(kms):
    return Sm2Keys(kms)


@pytest.fixture(scope="module")
def symmetric(kms):
    return kms.create_key(Description="sm2-suite symmetric")["KeyMetadata"]


@pytest.fixture(autouse=True)
def _response_headers_checked():
    """Every response the SDK saw during the test had the JSON 1.1 content type and a request id."""
    yield
    violations = list(_HEADER_VIOLATIONS)
    _HEADER_VIOLATIONS.clear()
    assert not violations, "response header violations:\n" + "\n".join(violations)


def usage_error(md: dict, operation: str) -> str:
    return f"{md['Arn']} key usage is {md['KeyUsage']} which is not valid for {operation}."


def incompatible(alg: str, spec: str) -> str:
    return f"Algorithm {alg} is incompatible with key spec {spec}."


# --------------------------------------------------------------------------
# 1. CreateKey / DescribeKey / GetPublicKey
# --------------------------------------------------------------------------


def check_metadata(md: dict, usage: str, region: str = CN_REGION) -> None:
    expected = USAGE_ALGORITHMS[usage]
    base = {
        "AWSAccountId", "Arn", "CreationDate", "Description", "Enabled", "KeyId", "KeyManager",
        "KeySpec", "KeyState", "KeyUsage", "MultiRegion", "Origin", "CustomerMasterKeySpec",
    }
    assert set(md) == base | set(expected), md
    assert UUID_RE.match(md["KeyId"]), md["KeyId"]
    assert md["Arn"] == cn_arn(md["KeyId"], region)
    assert md["AWSAccountId"] == ACCOUNT
    assert md["KeySpec"] == "SM2"
    assert md["CustomerMasterKeySpec"] == "SM2"  # SM2 is in the deprecated enum too
    assert md["KeyUsage"] == usage
    assert md["KeyState"] == "Enabled"
    assert md["Enabled"] is True
    assert md["Origin"] == "AWS_KMS"
    assert md["KeyManager"] == "CUSTOMER"
    assert md["MultiRegion"] is False
    for field in ALGORITHM_FIELDS:
        if field in expected:
            assert md[field] == expected[field], (field, md)
        else:
            assert field not in md, (field, md)


@pytest.mark.parametrize("usage", list(USAGE_ALGORITHMS))
def test_create_key_metadata(kms, keys, usage):
    md = keys.get(usage)
    check_metadata(md, usage)
    described = kms.describe_key(KeyId=md["KeyId"])
    assert set(only_response(described)) == {"KeyMetadata"}
    assert described["KeyMetadata"] == md
    assert kms.describe_key(KeyId=md["Arn"])["KeyMetadata"] == md


@pytest.mark.parametrize("usage", list(USAGE_ALGORITHMS))
def test_get_public_key(kms, keys, usage):
    md = keys.get(usage)
    resp, point = keys.public(usage)  # parse_sm2_spki: canonical SPKI, SM2 curve OID, point on the curve
    expected = USAGE_ALGORITHMS[usage]
    assert set(only_response(resp)) == {"KeyId", "PublicKey", "KeySpec", "KeyUsage", "CustomerMasterKeySpec",
                                        *expected}, resp
    assert resp["KeyId"] == md["Arn"]
    assert resp["KeySpec"] == resp["CustomerMasterKeySpec"] == "SM2"
    assert resp["KeyUsage"] == usage
    for field, value in expected.items():
        assert resp[field] == value
    assert len(resp["PublicKey"]) == 91
    assert kms.get_public_key(KeyId=md["Arn"])["PublicKey"] == resp["PublicKey"]


def test_public_keys_are_distinct(keys):
    points = {keys.public(usage)[1] for usage in USAGE_ALGORITHMS}
    assert len(points) == len(USAGE_ALGORITHMS)


def test_sm2_key_in_cn_northwest_1():
    client = make_client(CN_OTHER_REGION)
    md = client.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    check_metadata(md, "SIGN_VERIFY", CN_OTHER_REGION)
    point = parse_sm2_spki(client.get_public_key(KeyId=md["KeyId"])["PublicKey"])
    message = b"signed in cn-northwest-1"
    resp = client.sign(KeyId=md["KeyId"], Message=message, MessageType="RAW", SigningAlgorithm="SM2DSA")
    assert resp["KeyId"] == md["Arn"]
    assert gm_verify(point, resp["Signature"], message=message)


@pytest.mark.parametrize("usage", ["ENCAPSULATE_DECAPSULATE", "GENERATE_VERIFY_MAC"])
def test_create_key_incompatible_usage(kms, usage):
    expect_error(lambda: kms.create_key(KeySpec="SM2", KeyUsage=usage), "ValidationException",
                 f"KeyUsage {usage} is not compatible with KeySpec SM2")


# --------------------------------------------------------------------------
# 2. Sign / Verify (SM2DSA)
# --------------------------------------------------------------------------


def sign(kms, md: dict, message_type: str, message: bytes) -> bytes:
    resp = kms.sign(KeyId=md["KeyId"], Message=message, MessageType=message_type, SigningAlgorithm="SM2DSA")
    assert set(only_response(resp)) == {"KeyId", "Signature", "SigningAlgorithm"}, resp
    assert resp["KeyId"] == md["Arn"]
    assert resp["SigningAlgorithm"] == "SM2DSA"
    parse_signature(resp["Signature"])  # strict DER SEQUENCE { r, s }
    return resp["Signature"]


def verify_in_kms(kms, md: dict, message_type: str, message: bytes, signature: bytes) -> None:
    resp = kms.verify(KeyId=md["KeyId"], Message=message, MessageType=message_type,
                      Signature=signature, SigningAlgorithm="SM2DSA")
    assert only_response(resp) == {"KeyId": md["Arn"], "SignatureValid": True, "SigningAlgorithm": "SM2DSA"}


RAW_MESSAGES = {
    "abc": b"abc",
    "one-zero-byte": b"\x00",
    "binary-1700": b"a message signed by an SM2 key \x00\xff\x01" * 50,
    "4096": bytes(range(256)) * 16,
}


@pytest.mark.parametrize("name", list(RAW_MESSAGES))
def test_sign_raw_verifies_offline(kms, keys, name):
    md = keys.get("SIGN_VERIFY")
    _, public = keys.public("SIGN_VERIFY")
    message = RAW_MESSAGES[name]
    signature = sign(kms, md, "RAW", message)
    # gmssl's SM2-with-SM3 verification (Z with the default ID), and over e computed here.
    assert gm_verify(public, signature, message=message)
    assert gm_verify(public, signature, e=sm2_e(public, message))
    # KMS hashed Z || M, with the default ID: not plain SM3(M), not Z with another ID.
    assert not gm_verify(public, signature, e=sm3(message))
    assert not gm_verify(public, signature, e=sm2_e(public, message, uid=b"ALICE123@YAHOO.COM"))
    assert not gm_verify(public, signature, message=message + b"!")
    verify_in_kms(kms, md, "RAW", message, signature)


def test_sign_digest_of_e_verifies_offline_as_signature_on_message(kms, keys):
    md = keys.get("SIGN_VERIFY")
    _, public = keys.public("SIGN_VERIFY")
    message = b"the digest e = SM3(Z || M) is computed outside KMS"
    e = sm2_e(public, message)
    signature = sign(kms, md, "DIGEST", e)
    assert gm_verify(public, signature, message=message)
    assert gm_verify(public, signature, e=e)
    verify_in_kms(kms, md, "DIGEST", e, signature)
    # The same signature, whichever way the message is given (Verify's MessageType need not match).
    verify_in_kms(kms, md, "RAW", message, signature)
    raw_signature = sign(kms, md, "RAW", message)
    verify_in_kms(kms, md, "DIGEST", e, raw_signature)


def test_sign_digest_is_signed_as_given(kms, keys):
    """With DIGEST, KMS signs the 32 bytes as e: it does not prepend Z again."""
    md = keys.get("SIGN_VERIFY")
    _, public = keys.public("SIGN_VERIFY")
    message = b"hashed without Z"
    plain = sm3(message)
    signature = sign(kms, md, "DIGEST", plain)
    assert gm_verify(public, signature, e=plain)
    assert not gm_verify(public, signature, message=message)
    assert not gm_verify(public, signature, e=sm2_e(public, plain))
    expect_error(lambda: kms.verify(KeyId=md["KeyId"], Message=message, MessageType="RAW",
                                    Signature=signature, SigningAlgorithm="SM2DSA"),
                 "KMSInvalidSignatureException", "")


def test_verify_tampered_signature(kms, keys):
    """A bad signature is KMSInvalidSignatureException with an empty message, not SignatureValid=false."""
    md = keys.get("SIGN_VERIFY")
    _, public = keys.public("SIGN_VERIFY")
    message = b"tamper with me"
    signature = sign(kms, md, "RAW", message)
    r, s = parse_signature(signature)
    altered = [der_signature(r ^ 1, s), der_signature(r, s ^ 1), der_signature(s, r)]
    for bad in altered:
        assert not gm_verify(public, bad, message=message)
    # Out of range (r, s must be in [1, n-1]; not reduced mod n), malformed DER, raw r || s.
    out_of_range = [der_signature(r + N, s), der_signature(r, s + N), der_signature(0, s), der_signature(r, 0)]
    malformed = [signature[:-1], signature + b"\x00", flip(signature, 0), b"\x00" * 64,
                 r.to_bytes(32, "big") + s.to_bytes(32, "big")]
    for bad in altered + out_of_range + malformed:
        expect_error(lambda: kms.verify(KeyId=md["KeyId"], Message=message, MessageType="RAW",
                                        Signature=bad, SigningAlgorithm="SM2DSA"),
                     "KMSInvalidSignatureException", "")
    # Right signature, other message.
    expect_error(lambda: kms.verify(KeyId=md["KeyId"], Message=message + b"!", MessageType="RAW",
                                    Signature=signature, SigningAlgorithm="SM2DSA"),
                 "KMSInvalidSignatureException", "")


def test_verify_with_another_keys_signature(kms, keys):
    md = keys.get("SIGN_VERIFY")
    other = kms.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    other_public = parse_sm2_spki(kms.get_public_key(KeyId=other["KeyId"])["PublicKey"])
    signature = sign(kms, other, "RAW", b"whose signature?")
    assert gm_verify(other_public, signature, message=b"whose signature?")
    expect_error(lambda: kms.verify(KeyId=md["KeyId"], Message=b"whose signature?", MessageType="RAW",
                                    Signature=signature, SigningAlgorithm="SM2DSA"),
                 "KMSInvalidSignatureException", "")


@pytest.mark.parametrize("delta", [-1, 1])
def test_sign_digest_of_wrong_length(kms, keys, delta):
    md = keys.get("SIGN_VERIFY")
    expect_error(lambda: kms.sign(KeyId=md["KeyId"], Message=b"\x07" * (32 + delta), MessageType="DIGEST",
                                  SigningAlgorithm="SM2DSA"),
                 "ValidationException", "Digest is invalid length for algorithm SM2DSA.")


def test_signing_algorithm_must_match_key_spec(kms, keys):
    md = keys.get("SIGN_VERIFY")
    expect_error(lambda: kms.sign(KeyId=md["KeyId"], Message=b"m", MessageType="RAW",
                                  SigningAlgorithm="ECDSA_SHA_256"),
                 "InvalidKeyUsageException", incompatible("ECDSA_SHA_256", "SM2"))
    p256 = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert p256["Arn"] == cn_arn(p256["KeyId"])
    expect_error(lambda: kms.sign(KeyId=p256["KeyId"], Message=b"m", MessageType="RAW", SigningAlgorithm="SM2DSA"),
                 "InvalidKeyUsageException", incompatible("SM2DSA", "ECC_NIST_P256"))


@pytest.mark.parametrize("usage,operation", [
    ("ENCRYPT_DECRYPT", "Sign"),
    ("KEY_AGREEMENT", "Verify"),
    ("SIGN_VERIFY", "Encrypt"),
    ("KEY_AGREEMENT", "Decrypt"),
    ("SIGN_VERIFY", "DeriveSharedSecret"),
    ("ENCRYPT_DECRYPT", "DeriveSharedSecret"),
])
def test_sm2_key_of_other_usage(kms, keys, usage, operation):
    md = keys.get(usage)
    key_id = md["KeyId"]
    call = {
        "Sign": lambda: kms.sign(KeyId=key_id, Message=b"m", MessageType="RAW", SigningAlgorithm="SM2DSA"),
        "Verify": lambda: kms.verify(KeyId=key_id, Message=b"m", MessageType="RAW", Signature=b"\x30\x00",
                                     SigningAlgorithm="SM2DSA"),
        "Encrypt": lambda: kms.encrypt(KeyId=key_id, Plaintext=b"m", EncryptionAlgorithm="SM2PKE"),
        "Decrypt": lambda: kms.decrypt(KeyId=key_id, CiphertextBlob=b"\x30" * 120, EncryptionAlgorithm="SM2PKE"),
        "DeriveSharedSecret": lambda: kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH",
                                                               PublicKey=sm2_spki(gm_mul(random_scalar()))),
    }[operation]
    expect_error(call, "InvalidKeyUsageException", usage_error(md, operation))


# --------------------------------------------------------------------------
# 3. Encrypt / Decrypt (SM2PKE)
# --------------------------------------------------------------------------


def decrypt(kms, md: dict, blob: bytes) -> bytes:
    resp = kms.decrypt(CiphertextBlob=blob, KeyId=md["KeyId"], EncryptionAlgorithm="SM2PKE")
    # No KeyMaterialId: it is only for symmetric keys.
    assert set(only_response(resp)) == {"KeyId", "Plaintext", "EncryptionAlgorithm"}, resp
    assert resp["KeyId"] == md["Arn"]
    assert resp["EncryptionAlgorithm"] == "SM2PKE"
    return resp["Plaintext"]


PLAINTEXTS = {
    "1-byte": b"\x00",
    "short": b"encrypted outside KMS \x00\x01\xfe\xff",
    "32-bytes": bytes(range(32)),       # exactly one KDF block
    "33-bytes": bytes(range(33)),       # one byte into the second
    "1024-bytes": bytes(range(256)) * 4,  # the SM2PKE limit
}


@pytest.mark.parametrize("name", list(PLAINTEXTS))
def test_encrypt_offline_decrypt_in_kms(kms, keys, name):
    md = keys.get("ENCRYPT_DECRYPT")
    _, public = keys.public("ENCRYPT_DECRYPT")
    plaintext = PLAINTEXTS[name]
    raw = gm_encrypt(public, plaintext)  # x || y || C3 || C2
    assert decrypt(kms, md, sm2cipher(raw)) == plaintext
    assert decrypt(kms, md, b"\x04" + raw) == plaintext  # raw C1 || C3 || C2, C1 = 04 || x || y
    assert decrypt(kms, md, sm2cipher(raw)) == plaintext  # again (nothing consumed)


def _ephemeral_with(condition) -> int:
    """A scalar k whose k*G satisfies ``condition(x, y)``, found by walking k, k+1, ... from a random k."""
    k = secrets.randbelow(N // 2) + 1
    pt = gm_mul(k)
    for _ in range(20000):
        if condition(*pt):
            return k
        pt, k = ec_add(pt, G), k + 1
    raise AssertionError("no suitable ephemeral key found")


# C1 points whose SM2Cipher INTEGERs (minimal, signed DER) have different lengths: x with its top
# bit set (33 content bytes, a leading 00), x with it clear (32 bytes), x or y below 2^248 (shorter
# than the 32-byte field element).
C1_CASES = {
    "x-top-bit-set": lambda x, y: x >> 255 == 1 and y >> 248 != 0,
    "x-top-bit-clear": lambda x, y: x >> 255 == 0 and x >> 248 != 0 and y >> 248 != 0,
    "x-leading-zero-byte": lambda x, y: x >> 248 == 0 and y >> 248 != 0,
    "y-leading-zero-byte": lambda x, y: y >> 248 == 0 and x >> 248 != 0,
}


@pytest.mark.parametrize("case", list(C1_CASES))
def test_decrypt_sm2cipher_integer_encodings(kms, keys, case):
    md = keys.get("ENCRYPT_DECRYPT")
    _, public = keys.public("ENCRYPT_DECRYPT")
    k = _ephemeral_with(C1_CASES[case])
    c1 = gm_mul(k)
    plaintext = f"C1 case {case}".encode()
    raw = gm_encrypt(public, plaintext, k=k)
    assert raw[:64] == point_bytes(c1)  # gmssl used our k
    blob = sm2cipher(raw)
    items = der_sequence(blob)
    x_len, y_len = len(items[0][1]), len(items[1][1])
    if case == "x-top-bit-set":
        assert x_len == 33 and items[0][1][0] == 0
    elif case == "x-top-bit-clear":
        assert x_len == 32
    elif case == "x-leading-zero-byte":
        assert x_len <= 32 and len(point_bytes(c1)[:32].lstrip(b"\x00")) < 32
        assert x_len == (c1[0].bit_length() // 8 + 1)
    else:
        assert y_len == (c1[1].bit_length() // 8 + 1) and y_len <= 32
    assert decrypt(kms, md, blob) == plaintext
    assert decrypt(kms, md, b"\x04" + raw) == plaintext


def test_encrypt_in_kms(kms, keys):
    md = keys.get("ENCRYPT_DECRYPT")
    plaintext = b"encrypted inside KMS \x00\xff"
    blobs = []
    for _ in range(8):
        resp = kms.encrypt(KeyId=md["KeyId"], Plaintext=plaintext, EncryptionAlgorithm="SM2PKE")
        assert set(only_response(resp)) == {"CiphertextBlob", "KeyId", "EncryptionAlgorithm"}, resp
        assert resp["KeyId"] == md["Arn"]
        assert resp["EncryptionAlgorithm"] == "SM2PKE"
        blob = resp["CiphertextBlob"]
        c1, c3, c2 = parse_sm2cipher(blob)  # strict DER SM2Cipher
        assert on_curve(c1), "C1 is not on the SM2 curve"
        assert len(c3) == 32
        assert len(c2) == len(plaintext) and c2 != plaintext
        blobs.append(blob)
        assert decrypt(kms, md, blob) == plaintext
        # The same ciphertext in the raw C1 || C3 || C2 form.
        assert decrypt(kms, md, b"\x04" + point_bytes(c1) + c3 + c2) == plaintext
    assert len(set(blobs)) == len(blobs), "SM2PKE ciphertexts must be randomized"


def test_encrypt_plaintext_size_limit(kms, keys):
    md = keys.get("ENCRYPT_DECRYPT")
    largest = bytes(range(256)) * 5
    blob = kms.encrypt(KeyId=md["KeyId"], Plaintext=largest[:SM2PKE_MAX_PLAINTEXT],
                       EncryptionAlgorithm="SM2PKE")["CiphertextBlob"]
    assert len(parse_sm2cipher(blob)[2]) == SM2PKE_MAX_PLAINTEXT
    assert decrypt(kms, md, blob) == largest[:SM2PKE_MAX_PLAINTEXT]
    expect_error(lambda: kms.encrypt(KeyId=md["KeyId"], Plaintext=largest[:SM2PKE_MAX_PLAINTEXT + 1],
                                     EncryptionAlgorithm="SM2PKE"),
                 "ValidationException",
                 "Algorithm SM2PKE and key spec SM2 cannot encrypt data larger than 1024 bytes.")


def test_encryption_algorithm_must_match_key_spec(kms, keys):
    md = keys.get("ENCRYPT_DECRYPT")
    for alg in ("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_256"):
        expect_error(lambda: kms.encrypt(KeyId=md["KeyId"], Plaintext=b"x", EncryptionAlgorithm=alg),
                     "InvalidKeyUsageException", incompatible(alg, "SM2"))


def test_re_encrypt_sm2_to_symmetric_and_back(kms, keys, symmetric):
    md = keys.get("ENCRYPT_DECRYPT")
    _, public = keys.public("ENCRYPT_DECRYPT")
    plaintext = b"move me between keys"
    ctx = {"moved": "yes"}
    resp = kms.re_encrypt(CiphertextBlob=sm2cipher(gm_encrypt(public, plaintext)), SourceKeyId=md["KeyId"],
                          SourceEncryptionAlgorithm="SM2PKE",
                          DestinationKeyId=symmetric["KeyId"], DestinationEncryptionContext=ctx)
    assert set(only_response(resp)) == {
        "CiphertextBlob", "SourceKeyId", "KeyId", "SourceEncryptionAlgorithm",
        "DestinationEncryptionAlgorithm", "DestinationKeyMaterialId",
    }, resp
    assert resp["SourceKeyId"] == md["Arn"]
    assert resp["KeyId"] == symmetric["Arn"]
    assert resp["SourceEncryptionAlgorithm"] == "SM2PKE"
    assert resp["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"] == plaintext

    back = kms.re_encrypt(CiphertextBlob=resp["CiphertextBlob"], SourceEncryptionContext=ctx,
                          DestinationKeyId=md["KeyId"], DestinationEncryptionAlgorithm="SM2PKE")
    assert back["KeyId"] == md["Arn"]
    assert back["SourceKeyId"] == symmetric["Arn"]
    assert back["DestinationEncryptionAlgorithm"] == "SM2PKE"
    c1, c3, c2 = parse_sm2cipher(back["CiphertextBlob"])
    assert on_curve(c1) and len(c3) == 32 and len(c2) == len(plaintext)
    assert decrypt(kms, md, back["CiphertextBlob"]) == plaintext


def test_decrypt_tampered_ciphertext(kms, keys):
    md = keys.get("ENCRYPT_DECRYPT")
    _, public = keys.public("ENCRYPT_DECRYPT")
    plaintext = b"do not decrypt me when altered"
    raw = gm_encrypt(public, plaintext)
    xy, c3, c2 = raw[:64], raw[64:96], raw[96:]
    assert decrypt(kms, md, sm2cipher(raw)) == plaintext
    x, y = int.from_bytes(xy[:32], "big"), int.from_bytes(xy[32:], "big")
    off_curve = (x, (y + 1) % P)
    assert not on_curve(off_curve)
    other = kms.create_key(KeySpec="SM2", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    other_public = parse_sm2_spki(kms.get_public_key(KeyId=other["KeyId"])["PublicKey"])
    bad = {
        "C3 altered (DER)": sm2cipher(xy + flip(c3) + c2),
        "C2 altered (DER)": sm2cipher(xy + c3 + flip(c2)),
        "C2 truncated (DER)": sm2cipher(xy + c3 + c2[:-1]),
        "C3 altered (raw)": b"\x04" + xy + flip(c3) + c2,
        "C1C2C3 order (raw)": b"\x04" + xy + c2 + c3,
        "C1 off the curve (DER)": sm2cipher(point_bytes(off_curve) + c3 + c2),
        "C1 off the curve (raw)": b"\x04" + point_bytes(off_curve) + c3 + c2,
        "for another key": sm2cipher(gm_encrypt(other_public, plaintext)),
    }
    for name, blob in bad.items():
        with pytest.raises(ClientError) as raised:
            decrypt(kms, md, blob)
        err = raised.value.response
        assert err["Error"]["Code"] == "InvalidCiphertextException", (name, err)
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, (name, err)


# --------------------------------------------------------------------------
# 4. DeriveSharedSecret (ECDH on the SM2 curve)
# --------------------------------------------------------------------------


def derive(kms, md: dict, peer_public_der: bytes) -> bytes:
    resp = kms.derive_shared_secret(KeyId=md["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer_public_der)
    assert set(only_response(resp)) == {"KeyId", "SharedSecret", "KeyAgreementAlgorithm", "KeyOrigin"}, resp
    assert resp["KeyId"] == md["Arn"]
    assert resp["KeyAgreementAlgorithm"] == "ECDH"
    assert resp["KeyOrigin"] == "AWS_KMS"
    assert len(resp["SharedSecret"]) == 32
    return resp["SharedSecret"]


def test_derive_shared_secret_matches_offline_ecdh(kms, keys):
    md = keys.get("KEY_AGREEMENT")
    _, kms_public = keys.public("KEY_AGREEMENT")
    secrets_seen = set()
    for _ in range(3):
        d_peer = random_scalar()
        peer = gm_mul(d_peer)
        secret = derive(kms, md, sm2_spki(peer))
        assert secret == gm_mul(d_peer, kms_public)[0].to_bytes(32, "big")
        secrets_seen.add(secret)
    assert len(secrets_seen) == 3


def test_derive_shared_secret_keeps_leading_zero_bytes(kms, keys):
    """The secret is the x-coordinate as 32 bytes, also when it starts with a zero byte."""
    md = keys.get("KEY_AGREEMENT")
    _, kms_public = keys.public("KEY_AGREEMENT")
    d_peer = secrets.randbelow(N // 2) + 1
    shared = gm_mul(d_peer, kms_public)
    for _ in range(20000):
        if shared[0] >> 248 == 0:
            break
        d_peer, shared = d_peer + 1, ec_add(shared, kms_public)
    else:
        raise AssertionError("no peer key found")
    assert gm_mul(d_peer, kms_public) == shared
    secret = derive(kms, md, sm2_spki(gm_mul(d_peer)))
    assert secret[0] == 0
    assert secret == shared[0].to_bytes(32, "big")


def test_derive_shared_secret_between_two_kms_keys(kms, keys):
    a = keys.get("KEY_AGREEMENT")
    b = kms.create_key(KeySpec="SM2", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    a_pub = kms.get_public_key(KeyId=a["KeyId"])["PublicKey"]
    b_pub = kms.get_public_key(KeyId=b["KeyId"])["PublicKey"]
    assert derive(kms, a, b_pub) == derive(kms, b, a_pub)


@pytest.mark.parametrize("case", ["p256-key", "sm2-point-labelled-p256", "off-curve", "not-der"])
def test_derive_shared_secret_rejects_bad_public_key(kms, keys, case):
    md = keys.get("KEY_AGREEMENT")
    pt = gm_mul(random_scalar())
    bad = {
        "p256-key": lambda: ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        "sm2-point-labelled-p256": lambda: sm2_spki(pt, P256_CURVE_OID),
        "off-curve": lambda: sm2_spki((pt[0], (pt[1] + 1) % P)),
        "not-der": lambda: b"definitely not DER",
    }[case]()
    expect_error(lambda: kms.derive_shared_secret(KeyId=md["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=bad),
                 "ValidationException")


# --------------------------------------------------------------------------
# 5. GenerateDataKeyPair SM2
# --------------------------------------------------------------------------


def check_sm2_pair(private_der: bytes, public_der: bytes) -> int:
    point = parse_sm2_spki(public_der)
    d, embedded = parse_sm2_pkcs8(private_der)
    assert gm_mul(d) == point, "PKCS#8 private scalar does not match the SPKI public key"
    if embedded is not None:
        assert embedded == point
    # And the pair works: a gmssl signature with d verifies under the SPKI point.
    sig = gm_crypt(private=d, public=point).sign_with_sm3(b"pair")
    assert gm_verify(point, der_signature(int(sig[:64], 16), int(sig[64:], 16)), message=b"pair")
    return d


def test_generate_data_key_pair(kms, keys, symmetric):
    ctx = {"pair": "SM2"}
    resp = kms.generate_data_key_pair(KeyId=symmetric["KeyId"], KeyPairSpec="SM2", EncryptionContext=ctx)
    assert set(only_response(resp)) == {
        "PrivateKeyCiphertextBlob", "PrivateKeyPlaintext", "PublicKey", "KeyId", "KeyPairSpec", "KeyMaterialId",
    }, resp
    assert resp["KeyId"] == symmetric["Arn"] == cn_arn(symmetric["KeyId"])
    assert resp["KeyPairSpec"] == "SM2"
    assert resp["KeyMaterialId"] == symmetric["CurrentKeyMaterialId"]
    d = check_sm2_pair(resp["PrivateKeyPlaintext"], resp["PublicKey"])

    # The pair's public key works with a KMS SM2 key: ECDH agrees with d * (KMS public key).
    agreement = keys.get("KEY_AGREEMENT")
    _, kms_public = keys.public("KEY_AGREEMENT")
    assert derive(kms, agreement, resp["PublicKey"]) == gm_mul(d, kms_public)[0].to_bytes(32, "big")

    dec = kms.decrypt(CiphertextBlob=resp["PrivateKeyCiphertextBlob"], EncryptionContext=ctx)
    assert dec["Plaintext"] == resp["PrivateKeyPlaintext"]
    assert dec["KeyId"] == symmetric["Arn"]
    expect_error(lambda: kms.decrypt(CiphertextBlob=resp["PrivateKeyCiphertextBlob"]),
                 "InvalidCiphertextException", "")

    second = kms.generate_data_key_pair(KeyId=symmetric["KeyId"], KeyPairSpec="SM2")
    assert second["PublicKey"] != resp["PublicKey"]
    assert second["PrivateKeyPlaintext"] != resp["PrivateKeyPlaintext"]
    check_sm2_pair(second["PrivateKeyPlaintext"], second["PublicKey"])


def test_generate_data_key_pair_without_plaintext(kms, symmetric):
    ctx = {"pair": "SM2", "plaintext": "no"}
    resp = kms.generate_data_key_pair_without_plaintext(KeyId=symmetric["KeyId"], KeyPairSpec="SM2",
                                                        EncryptionContext=ctx)
    assert set(only_response(resp)) == {
        "PrivateKeyCiphertextBlob", "PublicKey", "KeyId", "KeyPairSpec", "KeyMaterialId",
    }, resp
    assert resp["KeyId"] == symmetric["Arn"]
    assert resp["KeyPairSpec"] == "SM2"
    private = kms.decrypt(CiphertextBlob=resp["PrivateKeyCiphertextBlob"], EncryptionContext=ctx)["Plaintext"]
    check_sm2_pair(private, resp["PublicKey"])


# --------------------------------------------------------------------------
# 6. Regions: SM2 only in China, no ML-KEM there
# --------------------------------------------------------------------------


def enum_in_error(err, member: str, value: str) -> list[str]:
    """The enum value set listed in a one-violation enum ValidationException."""
    message = err.response["Error"]["Message"]
    m = re.fullmatch(
        rf"1 validation error detected: Value '{re.escape(value)}' at '{member}' failed to satisfy "
        r"constraint: Member must satisfy enum value set: \[(.*)\]", message)
    assert m, message
    names = m.group(1).split(", ")
    assert len(names) == len(set(names)), names
    return names


def test_sm2_is_not_offered_outside_china():
    us = make_client(US_REGION)
    all_specs = set(us.meta.service_model.shape_for("KeySpec").enum)
    all_pair_specs = set(us.meta.service_model.shape_for("DataKeyPairSpec").enum)
    err = expect_error(lambda: us.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY"), "ValidationException")
    names = enum_in_error(err, "keySpec", "SM2")
    assert "SM2" not in names
    assert set(names) == all_specs - {"SM2"}

    symmetric = us.create_key()["KeyMetadata"]
    assert symmetric["Arn"].startswith(f"arn:aws:kms:{US_REGION}:{ACCOUNT}:key/")
    err = expect_error(lambda: us.generate_data_key_pair(KeyId=symmetric["KeyId"], KeyPairSpec="SM2"),
                       "ValidationException")
    names = enum_in_error(err, "keyPairSpec", "SM2")
    assert set(names) == all_pair_specs - {"SM2"}


def test_ml_kem_is_not_offered_in_china(kms, symmetric):
    all_specs = set(kms.meta.service_model.shape_for("KeySpec").enum)
    all_pair_specs = set(kms.meta.service_model.shape_for("DataKeyPairSpec").enum)
    err = expect_error(lambda: kms.create_key(KeySpec="ML_KEM_768", KeyUsage="ENCAPSULATE_DECAPSULATE"),
                       "ValidationException")
    names = enum_in_error(err, "keySpec", "ML_KEM_768")
    assert "SM2" in names
    assert set(names) == all_specs - ML_KEM_SPECS

    err = expect_error(lambda: kms.generate_data_key_pair(KeyId=symmetric["KeyId"], KeyPairSpec="ML_KEM_768"),
                       "ValidationException")
    names = enum_in_error(err, "keyPairSpec", "ML_KEM_768")
    assert set(names) == all_pair_specs - ML_KEM_SPECS


# --- imported SM2 material (SM2PKE wrapping keys, China Regions only) ---------------------------

def sm2_pkcs8(d: int) -> bytes:
    """PKCS#8 PrivateKeyInfo of the SM2 private scalar ``d`` (no public key inside)."""
    ec_private = der(0x30, der_uint(1) + der(0x04, d.to_bytes(32, "big")))
    return der(0x30, der_uint(0) + der(0x30, ID_EC_PUBLIC_KEY + SM2_CURVE_OID) + der(0x04, ec_private))


def test_imported_sm2_key_wrapped_with_sm2pke_signs_under_its_known_public_key(kms):
    md = kms.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")["KeyMetadata"]
    assert md["KeyState"] == "PendingImport" and md["Arn"] == cn_arn(md["KeyId"])
    params = kms.get_parameters_for_import(KeyId=md["KeyId"], WrappingAlgorithm="SM2PKE",
                                           WrappingKeySpec="SM2")
    wrapping = parse_sm2_spki(params["PublicKey"])
    d = random_scalar()
    public = gm_mul(d)
    wrapped = sm2cipher(gm_encrypt(wrapping, sm2_pkcs8(d)))
    kms.import_key_material(KeyId=md["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.describe_key(KeyId=md["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    assert parse_sm2_spki(kms.get_public_key(KeyId=md["KeyId"])["PublicKey"]) == public
    message = b"imported SM2 material"
    sig = kms.sign(KeyId=md["KeyId"], Message=message, SigningAlgorithm="SM2DSA")["Signature"]
    assert gm_verify(public, sig, message=message)


def test_china_import_wrapping_is_sm2pke_or_rsaes_oaep(kms):
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    err = expect_error(lambda: kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256", WrappingKeySpec="RSA_2048"),
        "ValidationException")
    assert "Member must satisfy enum value set" in err.response["Error"]["Message"]
    expect_error(lambda: kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="SM2PKE", WrappingKeySpec="RSA_2048"), "ValidationException")
    # Symmetric material under an SM2 wrapping key.
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="SM2PKE", WrappingKeySpec="SM2")
    material = secrets.token_bytes(32)
    wrapped = sm2cipher(gm_encrypt(parse_sm2_spki(params["PublicKey"]), material))
    kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"cn")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"cn"
