"""The counted set checked against the ledger: a refresh costs what is new, not all history.

A candidate copy is merged with the counted copy of its key (usage/dedup.merge: largest
copy, earliest time, first-seen session). Only the keys of the copies being offered are
looked up in SQLite, a batch at a time, so nothing loads every response to count a new
line. Without a ledger the whole set lives in memory (`--no-ledger`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from sys import intern

from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import translated
from tray_app.adapters.ledger_recovery import RESPONSE_COLUMNS
from tray_app.usage.dedup import Change, Deduper
from tray_app.usage.model import Entry

LOOKUP_BATCH = 500  # keys per SELECT … IN (…): under SQLite's default variable limit
FRESH_BITS = 1 << 23  # 1 MB: under 5 % false hits for the ~400K responses of 3 GB of history


def lookup(ledger: Ledger, keys: Sequence[str]) -> list[Entry]:
    """The counted copies of these keys that the ledger holds."""
    cols = ", ".join(RESPONSE_COLUMNS)
    found: list[Entry] = []
    make = Entry._make
    with translated(ledger.path):
        for i in range(0, len(keys), LOOKUP_BATCH):
            part = keys[i : i + LOOKUP_BATCH]
            marks = ", ".join("?" * len(part))
            cursor = ledger.db.execute_sql(
                f"SELECT {cols}, '' FROM responses WHERE key IN ({marks})", part
            )
            found += [
                make((k, ts, intern(sid), intern(m), *rest)) for k, ts, sid, m, *rest in cursor
            ]
    return found


def has_responses(ledger: Ledger) -> bool:
    """Whether the ledger counts any response yet (an empty one needs no look-ups)."""
    with translated(ledger.path):
        return ledger.db.execute_sql("SELECT 1 FROM responses LIMIT 1").fetchone() is not None


class CountedSet:
    """Dedup by key against the ledger; in memory only what this run read since its last write."""

    def __init__(self, ledger: Ledger | None) -> None:
        self.ledger = ledger
        # Counted copies offered since the last write (or all, no ledger), and the
        # ledger's copies of keys looked up for them.
        self.recent = Deduper()
        # None until the first look-up: an empty ledger (a first scan) needs none at all.
        self._stored: bool | None = None if ledger is not None else False
        # During one bulk read that found the ledger empty: a bit per key hash written
        # since, so a first scan written in parts looks up only keys it may have written
        # (a filter: a set bit may be another key's, a clear one is certain).
        self._tracking = False
        self._written: bytearray | None = None

    @contextlib.contextmanager
    def one_scan(self) -> Iterator[None]:
        """One bulk read: if the ledger is empty at its first look-up, only keys this
        read wrote are looked up later. Ends with the read (other processes may write)."""
        self._tracking = True
        try:
            yield
        finally:
            self._tracking = False
            self._written = None

    @property
    def fresh(self) -> bool:
        """Whether the ledger had no response at the first look-up and nothing was written
        since: every counted response is the one waiting to be written."""
        return self.ledger is not None and self._stored is False

    def prefetch(self, keys: Iterable[str]) -> None:
        """Bring the counted copies of these keys into memory before they are offered."""
        if self.ledger is None:
            return
        if self._stored is None:
            self._stored = has_responses(self.ledger)
            if not self._stored and self._tracking:
                self._written = bytearray(FRESH_BITS >> 3)
        if not self._stored:
            return
        recent = self.recent.keys()
        if self._written is not None:  # one pass: keys of a history are many
            bits, mask = self._written, FRESH_BITS - 1
            unseen = {
                k
                for k in keys
                if k not in recent and bits[(h := hash(k) & mask) >> 3] >> (h & 7) & 1
            }
        else:
            unseen = {k for k in keys if k not in recent}
        wanted = sorted(unseen)
        for entry in lookup(self.ledger, wanted):
            self.recent.keep(entry)

    def offer(self, candidate: Entry) -> Change | None:
        """Merge one copy (its key prefetched); what changed in the counted set, if anything."""
        return self.recent.offer(candidate)

    def offer_all(
        self, candidates: Iterable[Entry], changed: MutableMapping[str, Entry]
    ) -> tuple[list[Entry], int]:
        """`offer` each copy (keys prefetched), no `Change` made: see `Deduper.offer_all`."""
        return self.recent.offer_all(candidates, changed)

    def get(self, key: str) -> Entry | None:
        """The counted copy of a prefetched or recently offered key."""
        return self.recent.get(key)

    def written(self) -> None:
        """Everything offered is in the ledger now: forget it (memory stays O(new lines))."""
        if self.ledger is not None:
            if self._written is not None:
                bits, mask = self._written, FRESH_BITS - 1
                for h in map(hash, self.recent.keys()):
                    h &= mask
                    bits[h >> 3] |= 1 << (h & 7)
            self.recent = Deduper()
            self._stored = True

    def __iter__(self) -> Iterator[Entry]:
        """Without a ledger: every counted response."""
        return iter(self.recent)
