"""A small, slow, pure-Python Ed25519 / Ed25519ph (RFC 8032) for checking signatures in tests.

``cryptography`` verifies only pure Ed25519, but AWS KMS's ``ED25519_PH_SHA_512`` signing
algorithm makes HashEdDSA signatures (Ed25519ph, RFC 8032 section 5.1, empty context): with
``MessageType=DIGEST`` the caller sends ``D = SHA-512(message)`` and KMS signs ``D`` with
Ed25519ph, which hashes it again (``PH(D) = SHA-512(D)``). So an ``ED25519_PH_SHA_512``
signature is checked here with ``verify(public_key, signature, D)``.

The arithmetic follows the reference code in RFC 8032 section 6 (extended twisted-Edwards
coordinates). It is not constant time and must never be used with real secrets; it exists only
to check the emulator from outside. ``sign``/``public_key`` are here so that the module can be
checked against the RFC 8032 test vectors.

Run ``python tests/python/ed25519ph.py`` for a self-test against the RFC 8032 vectors.
"""

from __future__ import annotations

import hashlib

__all__ = ["public_key", "sign", "verify", "sign_pure", "verify_pure"]

# Curve constants (RFC 8032 section 5.1).
_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_L = 2**252 + 27742317777372353535851937790883648493  # the group order (called L in RFC 8032)
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)

# dom2(phflag=1, context) prefix for Ed25519ph (RFC 8032 section 2).
_DOM2_PREFIX = b"SigEd25519 no Ed25519 collisions"


def _sha512(data: bytes) -> bytes:
    return hashlib.sha512(data).digest()


def _sha512_mod_l(data: bytes) -> int:
    return int.from_bytes(_sha512(data), "little") % _L


# Points are (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z.
def _point_add(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


_IDENTITY = (0, 1, 1, 0)


def _point_mul(s: int, p):
    q = _IDENTITY
    while s > 0:
        if s & 1:
            q = _point_add(q, p)
        p = _point_add(p, p)
        s >>= 1
    return q


def _point_equal(p, q) -> bool:
    # x1/z1 == x2/z2  <=>  x1*z2 == x2*z1 (same for y)
    if (p[0] * q[2] - q[0] * p[2]) % _P != 0:
        return False
    return (p[1] * q[2] - q[1] * p[2]) % _P == 0


def _recover_x(y: int, sign: int):
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def _compress(p) -> bytes:
    zinv = pow(p[2], _P - 2, _P)
    x = p[0] * zinv % _P
    y = p[1] * zinv % _P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _decompress(s: bytes):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


def _expand_secret(secret: bytes) -> tuple[int, bytes]:
    if len(secret) != 32:
        raise ValueError("an Ed25519 secret key is 32 bytes")
    h = _sha512(secret)
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def _dom2(context: bytes) -> bytes:
    if len(context) > 255:
        raise ValueError("context is at most 255 bytes")
    return _DOM2_PREFIX + bytes([1, len(context)]) + context


def public_key(secret: bytes) -> bytes:
    """The 32-byte public key of a 32-byte secret key (seed)."""
    a, _ = _expand_secret(secret)
    return _compress(_point_mul(a, _G))


def _sign(secret: bytes, dom: bytes, data: bytes) -> bytes:
    a, prefix = _expand_secret(secret)
    pub = _compress(_point_mul(a, _G))
    r = _sha512_mod_l(dom + prefix + data)
    big_r = _compress(_point_mul(r, _G))
    k = _sha512_mod_l(dom + big_r + pub + data)
    s = (r + k * a) % _L
    return big_r + int.to_bytes(s, 32, "little")


def _verify(public: bytes, signature: bytes, dom: bytes, data: bytes) -> bool:
    if len(public) != 32 or len(signature) != 64:
        return False
    a_point = _decompress(public)
    if a_point is None:
        return False
    r_bytes = signature[:32]
    r_point = _decompress(r_bytes)
    if r_point is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    k = _sha512_mod_l(dom + r_bytes + public + data)
    # The cofactored group equation of RFC 8032 section 5.1.7: [8][S]B = [8]R + [8][k]A.
    left = _point_mul(8, _point_mul(s, _G))
    right = _point_mul(8, _point_add(r_point, _point_mul(k, a_point)))
    return _point_equal(left, right)


def sign(secret: bytes, message: bytes, context: bytes = b"") -> bytes:
    """Ed25519ph signature of ``message`` (which is prehashed here with SHA-512)."""
    return _sign(secret, _dom2(context), _sha512(message))


def verify(public: bytes, signature: bytes, message: bytes, context: bytes = b"") -> bool:
    """True if ``signature`` is a valid Ed25519ph signature of ``message`` under ``public``.

    ``message`` is hashed with SHA-512 here (PH(M) of RFC 8032); for an AWS KMS
    ``ED25519_PH_SHA_512`` signature made with ``MessageType=DIGEST``, pass the digest that was
    sent to KMS as ``message``.
    """
    return _verify(public, signature, _dom2(context), _sha512(message))


def sign_pure(secret: bytes, message: bytes) -> bytes:
    """Plain Ed25519 (no dom2, no prehash); only for cross-checking this module."""
    return _sign(secret, b"", message)


def verify_pure(public: bytes, signature: bytes, message: bytes) -> bool:
    """Plain Ed25519 verification; only for cross-checking this module."""
    return _verify(public, signature, b"", message)


# RFC 8032 section 7.3, "TEST abc" (Ed25519ph).
RFC8032_ED25519PH_ABC = {
    "secret": bytes.fromhex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42"),
    "public": bytes.fromhex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf"),
    "message": bytes.fromhex("616263"),
    "signature": bytes.fromhex(
        "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
        "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
    ),
}

# RFC 8032 section 7.1, "TEST 1" (pure Ed25519, empty message).
RFC8032_ED25519_TEST1 = {
    "secret": bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
    "public": bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
    "message": b"",
    "signature": bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    ),
}


def _self_test() -> None:
    v = RFC8032_ED25519PH_ABC
    assert public_key(v["secret"]) == v["public"]
    assert sign(v["secret"], v["message"]) == v["signature"]
    assert verify(v["public"], v["signature"], v["message"])
    assert not verify(v["public"], v["signature"], b"abd")
    v1 = RFC8032_ED25519_TEST1
    assert public_key(v1["secret"]) == v1["public"]
    assert sign_pure(v1["secret"], v1["message"]) == v1["signature"]
    assert verify_pure(v1["public"], v1["signature"], v1["message"])


if __name__ == "__main__":
    _self_test()
    print("ed25519ph: RFC 8032 vectors OK")
