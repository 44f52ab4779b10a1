"""Digests without OpenSSL are the very digests stored before (ids, cache fingerprints)."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from tray_app.adapters.digest import sha256_prefix, short_digest


@given(st.binary(max_size=300))
def test_the_same_digests_as_hashlib(data: bytes) -> None:
    # Place ids of id-less lines and the block cache's price fingerprint are stored in
    # ledgers: a different digest would count id-less lines twice or rebuild every cache.
    assert short_digest(data) == hashlib.blake2b(data, digest_size=8).hexdigest()
    assert sha256_prefix(data) == hashlib.sha256(data).hexdigest()[:16]
