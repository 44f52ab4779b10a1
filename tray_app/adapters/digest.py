"""Short digests of names and settings, without loading OpenSSL.

`import hashlib` loads OpenSSL's library (~3 ms of every command that needs a digest);
BLAKE2 is built into CPython, and hashlib's own `blake2b` is this one.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # (a Python built without it: hashlib finds one)
    from hashlib import blake2b


def short_digest(data: bytes) -> str:
    """16 hex digits of BLAKE2b over `data`."""
    return blake2b(data, digest_size=8).hexdigest()
