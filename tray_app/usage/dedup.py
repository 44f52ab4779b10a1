"""Count each response once, globally: the max-output copy wins (docs/counting-rules.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, KeysView, MutableMapping
from dataclasses import dataclass
from typing import Any

from tray_app.usage.model import Entry

Row = tuple[Any, ...]  # an Entry's fields as a plain tuple (what a reader process sends)
_new_entry = tuple.__new__  # Entry(...) runs a Python-level __new__ with 17 arguments


def rank(entry: Row) -> tuple[int, int, int]:
    """Larger output, then larger total of the other three kinds, then the non-sidechain
    copy (on Entry's fields by position: an Entry or a reader's plain row)."""
    return (entry[5], entry[4] + entry[6] + entry[7] + entry[8], 0 if entry[13] else 1)


@dataclass(frozen=True, slots=True)
class Change:
    """A response counted anew (`old` None), replaced by a larger copy or moved earlier."""

    old: Entry | None
    new: Entry


def merge_row(old: Row, candidate: Row) -> Row | None:
    """The counted copy after seeing `candidate`, or None when nothing changes.

    On Entry's fields by position, so a reader process can merge plain tuples with it.
    """
    # The time is the earliest copy's (a response happened when its first line was
    # written, whichever copy is counted and in whatever order files are read).
    earliest = candidate[1] if candidate[1] < old[1] else old[1]
    # `rank(candidate) <= rank(old)` compared field by field (no two tuples per copy: a
    # first scan merges ~170,000 copies per GB, and most of them tie).
    out, was = candidate[5], old[5]
    if out == was:
        rest = candidate[4] + candidate[6] + candidate[7] + candidate[8]
        had = old[4] + old[6] + old[7] + old[8]
        loses = rest < had or (rest == had and (bool(candidate[13]) or not old[13]))
    else:
        loses = out < was
    if loses:  # a tie keeps the first copy; an earlier one moves the time
        return (old[0], earliest, *old[2:]) if earliest < old[1] else None
    # Usage and model come whole from the winner; session and cwd stay with the copy
    # seen first, so a resumed session's copies of old messages stay with the original.
    return (old[0], earliest, old[2], *candidate[3:16], old[16])


def merge(old: Entry, candidate: Entry) -> Entry | None:
    """`merge_row` of two Entries, as an Entry."""
    row = merge_row(old, candidate)
    return None if row is None else _new_entry(Entry, row)


class Deduper:
    """The set of counted responses by key; offer copies in first-seen order."""

    __slots__ = ("_by_key",)

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._by_key: dict[str, Entry] = {e.key: e for e in entries}

    def offer(self, candidate: Entry) -> Change | None:
        """Consider one copy; return what changed in the counted set, if anything."""
        old = self._by_key.get(candidate.key)
        if old is None:
            self._by_key[candidate.key] = candidate
            return Change(None, candidate)
        winner = merge(old, candidate)
        if winner is None:
            return None
        self._by_key[candidate.key] = winner
        return Change(old, winner)

    def offer_all(
        self, candidates: Iterable[Entry], changed: MutableMapping[str, Entry]
    ) -> tuple[list[Entry], int]:
        """`offer` each copy in order, without a `Change` per copy: each changed key's
        counted copy also goes into `changed`. Returns the responses counted anew (in
        order) and how many counted ones a copy replaced (a bulk read needs only these).
        """
        by_key = self._by_key
        get = by_key.get
        fresh: list[Entry] = []
        add = fresh.append
        replaced = 0
        for candidate in candidates:
            key = candidate[0]
            old = get(key)
            if old is None:
                by_key[key] = changed[key] = candidate
                add(candidate)
            elif (winner := merge(old, candidate)) is not None:
                by_key[key] = changed[key] = winner
                replaced += 1
        return fresh, replaced

    def keys(self) -> KeysView[str]:
        """The keys held (a live view: membership tests at C speed)."""
        return self._by_key.keys()

    def keep(self, counted: Entry) -> None:
        """Hold an already-counted copy (read back from the ledger) without a change."""
        self._by_key[counted.key] = counted

    def get(self, key: str) -> Entry | None:
        """The counted copy for a key."""
        return self._by_key.get(key)

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._by_key.values())


def dedupe(candidates: Iterable[Entry]) -> list[Entry]:
    """Winners of a sequence of copies given in first-seen order."""
    deduper = Deduper()
    for candidate in candidates:
        deduper.offer(candidate)
    return list(deduper)
