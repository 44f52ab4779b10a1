"""Short digests of names and settings, without loading OpenSSL.

`import hashlib` loads OpenSSL's library (~3 ms of every command that needs a digest);
CPython has BLAKE2 and SHA-256 built in, and hashlib's own fall back to them.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # (a Python built without it: hashlib finds one)
    from hashlib import blake2b
try:  # (3.12 merged the SHA-2 family into one module)
    from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        from hashlib import sha256  # type: ignore[assignment,unused-ignore]


def short_digest(data: bytes) -> str:
    """16 hex digits of BLAKE2b over `data`."""
    return blake2b(data, digest_size=8).hexdigest()


def sha256_prefix(data: bytes) -> str:
    """The first 16 hex digits of SHA-256 over `data` (what stored fingerprints hold)."""
    return str(sha256(data).hexdigest()[:16])
