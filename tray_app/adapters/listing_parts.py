"""The early listing's message: the child's two parts, and the command's view of them.

The child (adapters/early_listing.py) sends first what a start with nothing new needs: the
folders it listed, its warnings, the listing's fingerprint and where each folder's files
are in the listing. Then the files: their paths folder by folder (so that one folder's
names decode alone), where each folder's are, and the parts of their `stat`s a scan reads.
The command reads the first part at once and the second only when it needs the files
(`Listing.found`), or lists a few changed folders itself instead of waiting for it.
"""

from __future__ import annotations

import os
import struct
from collections import namedtuple

# Not typing.TYPE_CHECKING, no dataclasses: loaded before the fork, on every command's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tray_app.adapters.discovery import Roots
    from tray_app.adapters.listing import Run

HEAD = struct.Struct("<IIIIQ")  # lengths: folders, warnings, mark, runs; file count
REST = struct.Struct("<QQ")  # lengths: paths, where each run's are (then the stats)
STAT = struct.Struct("<QQQq")  # size, inode, device, mtime_ns: what the scan reads of a stat
SEP = "\0"  # in no path and no warning
# A start that compares only this many files' folders lists them itself rather than wait
# for the child's second part (~3.5 µs a file; the part is ~1.5 MB for 10,000 files).
RELIST_FILES = 2000

# The fields of a transcript's stat that a scan reads (an `os.stat_result` has them too).
Listed = namedtuple("Listed", ["st_size", "st_ino", "st_dev", "st_mtime_ns"])


def first_part(
    dirs: Sequence[str], warnings: Sequence[str], mark: str, runs: Sequence[Run], count: int
) -> bytes:
    """The first part: the folders listed, the listing's warnings, its mark and its runs."""
    key = SEP.join(dirs).encode("utf-8", "surrogateescape")
    said = SEP.join(warnings).encode("utf-8", "surrogateescape")
    marked = mark.encode("utf-8", "surrogateescape")
    spans = SEP.join(f"{prefix}{SEP}{a}{SEP}{b}" for prefix, a, b in runs)
    where = spans.encode("utf-8", "surrogateescape")
    head = HEAD.pack(len(key), len(said), len(marked), len(where), count)
    return b"".join((head, key, said, marked, where))


def first_size(data: bytes | bytearray) -> int:
    """The first part's size, once `data` holds its head (else 0)."""
    return HEAD.size + sum(HEAD.unpack_from(data)[:-1]) if len(data) >= HEAD.size else 0


def second_part(found: dict[str, os.stat_result], runs: Sequence[Run]) -> bytes:
    """The second part: the paths folder by folder, where each run's are, the stats."""
    names = list(found)
    chunks = [SEP.join(names[a:b]).encode("utf-8", "surrogateescape") for _, a, b in runs]
    paths = SEP.encode().join(chunks)
    where, at = [], 0
    for chunk in chunks:
        where.append(f"{at}{SEP}{at + len(chunk)}")
        at += len(chunk) + 1
    spans = SEP.join(where).encode()
    pack = STAT.pack
    stats = b"".join(pack(s.st_size, s.st_ino, s.st_dev, s.st_mtime_ns) for s in found.values())
    return b"".join((REST.pack(len(paths), len(spans)), paths, spans, stats))


class Listing:
    """The child's listing: its fingerprint at once, the files only when asked (then the
    child's second part, or a listing of their folders here when they are few)."""

    __slots__ = ("_child", "_data", "_rest", "_runs", "_stop", "_warnings", "count", "dirs",
                 "mark", "said")  # fmt: skip

    def __init__(
        self,
        first: tuple[str, int, bytes, list[str]],
        child: tuple[int, int] | None,
        data: bytearray,
        warnings: list[str],
        dirs: Sequence[str],
        stop: Callable[[int], None],
    ) -> None:
        self.mark, self.count, spans, self.said = first  # said: what the child warned of
        self.dirs = list(dirs)  # the folders the child listed (the roots')
        parts = spans.decode("utf-8", "surrogateescape").split(SEP) if spans else []
        self._runs: list[Run] = [
            (parts[i], int(parts[i + 1]), int(parts[i + 2])) for i in range(0, len(parts), 3)
        ]
        self._child = child  # the child's pid and pipe, until its second part is read
        self._data = data  # what came of the second part so far
        self._rest: tuple[bytes, dict[tuple[int, int], slice], bytes] | None = None
        self._warnings = warnings
        self._stop = stop  # stops the child (the caller reaps it)

    def runs(self) -> list[Run]:
        """Where each folder's files are in the listing (`list_transcripts`' runs)."""
        return list(self._runs)

    def found(self, runs: Sequence[Run] | None = None) -> dict[str, Listed | os.stat_result]:
        """Every transcript with its stat in listing order (as `list_transcripts` gives), or
        only those of `runs` (only their names decoded, or their folders listed here)."""
        if not self.count:
            return {}
        few = runs is not None and sum(b - a for _, a, b in runs) <= RELIST_FILES
        if few and self._rest is None and not self.said:
            here = self._relist(runs or (), quiet=True)
            if here is not None:
                return here
        rest = self._load()
        if rest is None:  # the child died before its second part: list here instead
            if runs is None:  # all of it: also folders the child found empty or unlistable
                from tray_app.adapters.listing import list_transcripts

                problems: list[str] = []
                every = list_transcripts(self.dirs, problems)
                self._report(problems)
                return dict(every)
            return self._relist(runs) or {}
        paths, where, stats = rest
        new = tuple.__new__
        if runs is None:
            names = paths.decode("utf-8", "surrogateescape").split(SEP)
            got = [new(Listed, s) for s in STAT.iter_unpack(stats)]
            return dict(zip(names, got, strict=True))
        size, unpack = STAT.size, STAT.unpack_from
        found: dict[str, Listed | os.stat_result] = {}
        for _, first, end in runs:
            names = paths[where[first, end]].decode("utf-8", "surrogateescape").split(SEP)
            for i, name in enumerate(names, first):
                found[name] = new(Listed, unpack(stats, i * size))
        return found

    def _relist(
        self, runs: Sequence[Run], quiet: bool = False
    ) -> dict[str, Listed | os.stat_result] | None:
        """The files of `runs`' folders, listed here; None if that found a problem and is
        `quiet` (then the child's second part, which its fingerprint describes, is read)."""
        from tray_app.adapters.listing import list_folder

        found: dict[str, Listed | os.stat_result] = {}
        problems: list[str] = []
        for prefix, _, _ in runs:
            found.update(list_folder(prefix, problems))
        if problems and quiet:
            return None
        self._report(problems)
        return found

    def _report(self, problems: list[str]) -> None:
        """Log and add a listing's problems here (each once: the child's were said already;
        any new one keeps the scan from storing the child's fingerprint, which describes
        files this listing missed)."""
        from tray_app.adapters.discovery import report  # as the scan's own listing does

        report([p for p in problems if p not in self.said], self._warnings)

    def _load(self) -> tuple[bytes, dict[tuple[int, int], slice], bytes] | None:
        """The second part (read once; None if the child did not send it whole)."""
        if self._child is None:
            return self._rest
        pid, fd = self._child
        self._child = None
        try:
            while chunk := os.read(fd, 1 << 20):
                self._data += chunk
            self._rest = _parse_rest(bytes(self._data), self.count, self._runs)
        except Exception:  # (a child that died half-way, or a message it garbled)
            self._rest = None
        finally:
            self._data = bytearray()
            os.close(fd)
            self._stop(pid)
        return self._rest

    def close(self) -> None:
        """Stop the child if its second part was never needed (a start with nothing new)."""
        if self._child is not None:
            pid, fd = self._child
            self._child = None
            os.close(fd)
            self._stop(pid)


def parse_first(
    data: bytes,
    roots: Roots,
    warnings: list[str],
    child: tuple[int, int],
    more: bytearray,
    stop: Callable[[int], None],
) -> Listing | None:
    """The command's view of the first part (None: the child listed other folders); `child`
    is its pid and pipe, `more` what came of the second part with the first."""
    sizes = HEAD.unpack_from(data)
    count = sizes[-1]
    parts, at = [], HEAD.size
    for size in sizes[:-1]:
        parts.append(data[at : at + size])
        at += size
    key, said, mark, spans = parts
    problems = said.decode("utf-8", "surrogateescape").split(SEP) if said else []
    if key.decode("utf-8", "surrogateescape") != SEP.join(map(str, roots.dirs)):
        return None  # other folders than the command's roots: its own listing counts
    listing = Listing(
        (mark.decode("utf-8", "surrogateescape"), count, spans, problems),
        child,
        more,
        warnings,
        [str(d) for d in roots.dirs],
        stop,
    )
    if problems:
        from tray_app.adapters.discovery import report  # as the scan's own listing does

        report(problems, warnings)
    return listing


def _parse_rest(
    data: bytes, count: int, runs: Sequence[Run]
) -> tuple[bytes, dict[tuple[int, int], slice], bytes]:
    """The second part: the paths, each run's slice of them, the stats."""
    sizes = REST.unpack_from(data)
    at = REST.size
    paths = data[at : at + sizes[0]]
    spans = data[at + sizes[0] : at + sizes[0] + sizes[1]]
    stats = data[at + sizes[0] + sizes[1] :]
    if len(stats) != count * STAT.size or (count and paths.count(b"\0") != count - 1):
        raise ValueError("a short listing")
    ends = [int(n) for n in spans.split(b"\0")] if spans else []
    if len(ends) != 2 * len(runs):
        raise ValueError("a garbled listing")
    where = {(a, b): slice(ends[2 * i], ends[2 * i + 1]) for i, (_, a, b) in enumerate(runs)}
    return paths, where, stats
