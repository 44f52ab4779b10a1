"""Count each response once, globally: the max-output copy wins (docs/counting-rules.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tray_app.usage.model import Entry


def rank(entry: Entry) -> tuple[int, int, int]:
    """Larger output, then larger 4-field total, then the non-sidechain copy."""
    return (entry.output_tokens, entry.total_tokens, 0 if entry.sidechain else 1)


@dataclass(frozen=True, slots=True)
class Change:
    """A response counted anew (`old` None), replaced by a larger copy or moved earlier."""

    old: Entry | None
    new: Entry


def merge(old: Entry, candidate: Entry) -> Entry | None:
    """The counted copy after seeing `candidate`, or None when nothing changes."""
    # Usage and model come whole from the max-output copy; session and cwd stay with the
    # copy seen first; the time is the earliest copy's (a response happened when its first
    # line was written, whichever copy is counted and in whatever order files are read).
    earliest = min(old.timestamp, candidate.timestamp)
    if rank(candidate) <= rank(old):
        # Ties keep the copy seen first, but an earlier copy still moves the time.
        return old._replace(timestamp=earliest) if earliest < old.timestamp else None
    # Attribution stays with the first-seen copy so a resumed session's copies of old
    # messages stay with the original session; usage and model come whole from the winner.
    c = candidate
    return Entry(
        c.key, earliest, old.session_id, c.model, c.input_tokens, c.output_tokens,
        c.cache_5m_tokens, c.cache_1h_tokens, c.cache_read_tokens, c.web_search_requests,
        c.speed, c.geo, c.cost_usd, c.sidechain, c.message_id, c.request_id, old.cwd,
    )  # fmt: skip


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
