"""A report's listing of the transcripts, made by a forked child while the command starts.

Every report lists the transcripts and stats each one (~4 µs a file: 40 ms for 10,000
files) to see what is new — on one core, after ~40 ms of module loading during which the
machine's other core has nothing to do. At the start of a report the launcher forks a
child that guesses the data roots' folders from the arguments and the environment (no
module beyond `os`: a child that first loaded what `find_roots` needs finished after the
command reached its listing) and lists them with the scan's own lister
(adapters/listing.py), while the command loads. The scan takes the child's listing when it
gets there, but only if the child listed exactly the folders of the roots the command
settled on; otherwise (a config file naming `data_dirs`, an unusual spelling, a child that
failed) it lists by itself, as before. The listing is then from the command's start instead
of ~50 ms later: what a command run that much earlier would have seen.

Only on POSIX with at least two cores, only from the launcher of a report (one thread,
nothing else started), and at most once per process. The child touches no SQLite and no
logging: it sends its warnings, and the scan logs them as its own listing does.
"""

from __future__ import annotations

import contextlib  # (loaded at start-up already)
import os
import signal
import struct
import sys
from collections import namedtuple

# Not typing.TYPE_CHECKING, no dataclasses: this loads before the fork, on every command's
# path (typing and dataclasses cost ~10 ms; the command loads them later anyway).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tray_app.adapters.discovery import Roots
    from tray_app.adapters.listing import Run

# The reports that list every transcript (doctor reads with its own, validating pass).
COMMANDS = frozenset(
    {"status", "blocks", "sessions", "session", "daily", "weekly", "monthly", "models",
     "name", "export", "limits"}
)  # fmt: skip
# The child sends two parts: first what a start with nothing new needs, then the files.
_HEAD = struct.Struct("<IIIIQ")  # lengths: folders, warnings, mark, runs; file count
_REST = struct.Struct("<QQ")  # lengths: paths, where each run's are (then the stats)
_STAT = struct.Struct("<QQQq")  # size, inode, device, mtime_ns: what the scan reads of a stat
_SEP = "\0"  # in no path and no warning
_child: tuple[int, int] | None = None  # the child's pid and the pipe's read end
# A start that compares only this many files' folders lists them itself rather than wait
# for the child's second part (~3.5 µs a file; the part is ~1.5 MB for 10,000 files).
RELIST_FILES = 2000
# Modules the command imports after the listing anyway (or likely: the reading modules),
# imported while the child still lists instead of waiting idle; and those that were.
_warm: list[str] = []
warmed: list[str] = []
_stopped: list[int] = []  # children stopped, reaped when the command ends (`discard`)


# The fields of a transcript's stat that a scan reads (an `os.stat_result` has them too).
Listed = namedtuple("Listed", ["st_size", "st_ino", "st_dev", "st_mtime_ns"])
# Options that may come before the command word and take a value (cli/options.py's: a
# test keeps the two in step), so the argument after one is not the command.
VALUED = frozenset(
    {"-s", "--since", "-u", "--until", "--last", "-o", "--order", "-p", "--project",
     "-z", "--timezone", "--data-dir", "--config", "--now"}
)  # fmt: skip


def command_of(args: Sequence[str]) -> str | None:
    """The command word: the first argument that is neither an option nor an option's value."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in VALUED:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def start(args: Sequence[str]) -> bool:
    """Fork the child for a report that lists transcripts (False where it is not worth it)."""
    global _child
    if _child is not None or os.name != "posix" or (os.cpu_count() or 1) < 2:
        return False
    if command_of(args) not in COMMANDS:
        return False
    threads = sys.modules.get("threading")
    if threads is not None and threads.active_count() > 1:
        return False  # a lock another thread holds would stay held in the child forever
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return False
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return False
    if pid == 0:  # the child: no atexit, no buffered output of the parent's
        status = 1
        try:
            os.close(read_end)
            found, runs, first = _listing(args)
            _write(write_end, first)
            _write(write_end, _rest(found, runs))
            os.close(write_end)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    _child = (pid, read_end)
    return True


def _data_dirs(args: Sequence[str]) -> list[str]:
    """`--data-dir` values as the parser takes them (an unusual spelling: roots differ)."""
    found: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--data-dir" and i + 1 < len(args):
            found.append(args[i + 1])
        elif arg.startswith("--data-dir="):
            found.append(arg.split("=", 1)[1])
    return [d for d in found if d.strip()]


def guess_dirs(args: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """The roots' folders as `discovery.find_roots` most likely settles them, from the
    arguments and environment alone, with nothing but `os` (the config file's rarely set
    `data_dirs` is not read: a wrong guess only means that the scan lists by itself)."""
    named = _data_dirs(args) or [
        p.strip() for p in env.get("CLAUDE_CONFIG_DIR", "").split(",") if p.strip()
    ]
    if not named:
        home = os.path.expanduser("~")
        xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        named = [os.path.join(xdg, "claude"), os.path.join(home, ".claude")]
    dirs: list[str] = []
    seen: set[str] = set()
    for entry in map(os.path.expanduser, named):
        projects = os.path.join(entry, "projects")
        if not os.path.isdir(projects):
            projects = entry
        if os.path.isdir(projects) and (real := os.path.realpath(projects)) not in seen:
            seen.add(real)
            dirs.append(projects)
    return dirs


def _listing(args: Sequence[str]) -> tuple[dict[str, os.stat_result], list[Run], bytes]:
    """The listing, its runs, and the first part: the folders listed, the listing's
    warnings, its mark and its runs (all a start with nothing new needs)."""
    from tray_app.adapters.listing import disk_mark, list_transcripts

    dirs = guess_dirs(args, os.environ)
    warnings: list[str] = []
    runs: list[Run] = []
    found = list_transcripts(dirs, warnings, runs)
    key = _SEP.join(dirs).encode("utf-8", "surrogateescape")
    said = _SEP.join(warnings).encode("utf-8", "surrogateescape")
    mark = disk_mark(found, runs).encode("utf-8", "surrogateescape")
    spans = _SEP.join(f"{prefix}{_SEP}{a}{_SEP}{b}" for prefix, a, b in runs)
    where = spans.encode("utf-8", "surrogateescape")
    head = _HEAD.pack(len(key), len(said), len(mark), len(where), len(found))
    return found, runs, b"".join((head, key, said, mark, where))


def _rest(found: dict[str, os.stat_result], runs: Sequence[Run]) -> bytes:
    """The second part: the paths folder by folder (so that a folder's names decode alone),
    where each run's names are in them, and the stats."""
    names = list(found)
    chunks = [_SEP.join(names[a:b]).encode("utf-8", "surrogateescape") for _, a, b in runs]
    paths = _SEP.encode().join(chunks)
    where, at = [], 0
    for chunk in chunks:
        where.append(f"{at}{_SEP}{at + len(chunk)}")
        at += len(chunk) + 1
    spans = _SEP.join(where).encode()
    pack = _STAT.pack
    stats = b"".join(pack(s.st_size, s.st_ino, s.st_dev, s.st_mtime_ns) for s in found.values())
    return b"".join((_REST.pack(len(paths), len(spans)), paths, spans, stats))


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def warm(modules: Sequence[str]) -> None:
    """Import `modules` while waiting for the child's listing, if it comes late (with
    10,000 transcripts the child lists for longer than the command takes to load)."""
    if _child is not None:  # (nothing to wait for otherwise: a process that never forked)
        _warm.extend(modules)


def _first_bytes(fd: int) -> bytes:
    """The first bytes the child sends (it sends each part at once: they mean the first
    part is done), importing the `warm` modules while none have come."""
    if _warm:
        os.set_blocking(fd, False)
        try:
            while _warm:
                try:
                    return os.read(fd, 1 << 20)
                except BlockingIOError:
                    name = _warm.pop(0)
                    with contextlib.suppress(Exception):  # (its own import will say why)
                        __import__(name)
                        warmed.append(name)
        finally:
            os.set_blocking(fd, True)
            _warm.clear()
    return os.read(fd, 1 << 20)


def _receive(fd: int) -> tuple[bytes, bytearray]:
    """The child's first part, and any bytes of the second read with it.

    No time limit: a slow listing (a cold network home) would take as long in this process,
    and the child holds no lock anyone could keep from it (it starts with one thread).
    """
    data = bytearray(_first_bytes(fd))
    while True:
        need = _HEAD.size + sum(_HEAD.unpack_from(data)[:-1]) if len(data) >= _HEAD.size else 0
        if need and len(data) >= need:
            return bytes(data[:need]), data[need:]
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise ValueError("a short listing")  # (a child that died half-way)
        data += chunk


class Listing:
    """The child's listing: its fingerprint at once, the files only when asked (then the
    child's second part, or a listing of their folders here when they are few)."""

    __slots__ = ("_child", "_data", "_rest", "_runs", "_warnings", "count", "mark", "said")

    def __init__(
        self,
        first: tuple[str, int, bytes, list[str]],
        child: tuple[int, int] | None,
        data: bytearray,
        warnings: list[str],
    ) -> None:
        self.mark, self.count, spans, self.said = first  # said: what the child warned of
        parts = spans.decode("utf-8", "surrogateescape").split(_SEP) if spans else []
        self._runs: list[Run] = [
            (parts[i], int(parts[i + 1]), int(parts[i + 2])) for i in range(0, len(parts), 3)
        ]
        self._child = child  # the child's pid and pipe, until its second part is read
        self._data = data  # what came of the second part so far
        self._rest: tuple[bytes, dict[tuple[int, int], slice], bytes] | None = None
        self._warnings = warnings

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
        if rest is None:  # the child died before its second part: list its folders here
            return self._relist(self._runs if runs is None else runs) or {}
        paths, where, stats = rest
        new = tuple.__new__
        if runs is None:
            names = paths.decode("utf-8", "surrogateescape").split(_SEP)
            got = [new(Listed, s) for s in _STAT.iter_unpack(stats)]
            return dict(zip(names, got, strict=True))
        size, unpack = _STAT.size, _STAT.unpack_from
        found: dict[str, Listed | os.stat_result] = {}
        for _, first, end in runs:
            names = paths[where[first, end]].decode("utf-8", "surrogateescape").split(_SEP)
            for i, name in enumerate(names, first):
                found[name] = new(Listed, unpack(stats, i * size))
        return found

    def _relist(
        self, runs: Sequence[Run], quiet: bool = False
    ) -> dict[str, Listed | os.stat_result] | None:
        """The files of `runs`' folders, listed here; None if that found a problem and is
        `quiet` (then the child's second part, which its fingerprint describes, is read)."""
        from tray_app.adapters.discovery import report  # as the scan's own listing does
        from tray_app.adapters.listing import list_folder

        found: dict[str, Listed | os.stat_result] = {}
        problems: list[str] = []
        for prefix, _, _ in runs:
            found.update(list_folder(prefix, problems))
        if problems and quiet:
            return None
        # (Each problem once: the child's were said already. Any new one keeps the scan from
        # storing the child's fingerprint, which describes files this listing missed.)
        report([p for p in problems if p not in self.said], self._warnings)
        return found

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
            _stop(pid)
        return self._rest

    def close(self) -> None:
        """Stop the child if its second part was never needed (a start with nothing new)."""
        if self._child is not None:
            pid, fd = self._child
            self._child = None
            os.close(fd)
            _stop(pid)


def take(roots: Roots, warnings: list[str]) -> Listing | None:
    """The child's listing of `roots` (its warnings added to `warnings`), or None: list anew.

    The caller closes it (`Listing.close`): the child is stopped there or once its second
    part is read (on any failure here, at once), and reaped by `discard`.
    """
    global _child
    if _child is None:
        return None
    pid, fd = _child
    _child = None
    listing = None
    try:
        first, more = _receive(fd)
        listing = _parse(first, roots, warnings, (pid, fd), more)
    except Exception:  # (an interrupted read, a child that died: this process lists itself)
        listing = None
    finally:
        if listing is None:
            os.close(fd)
            _stop(pid)
    return listing


def _parse(
    data: bytes, roots: Roots, warnings: list[str], child: tuple[int, int], more: bytearray
) -> Listing | None:
    sizes = _HEAD.unpack_from(data)
    count = sizes[-1]
    parts, at = [], _HEAD.size
    for size in sizes[:-1]:
        parts.append(data[at : at + size])
        at += size
    key, said, mark, spans = parts
    problems = said.decode("utf-8", "surrogateescape").split(_SEP) if said else []
    if key.decode("utf-8", "surrogateescape") != _SEP.join(map(str, roots.dirs)):
        return None  # other folders than the command's roots: its own listing counts
    listing = Listing(
        (mark.decode("utf-8", "surrogateescape"), count, spans, problems), child, more, warnings
    )
    if problems:
        from tray_app.adapters.discovery import report  # as the scan's own listing does

        report(problems, warnings)
    return listing


def _parse_rest(
    data: bytes, count: int, runs: Sequence[Run]
) -> tuple[bytes, dict[tuple[int, int], slice], bytes]:
    """The second part: the paths, each run's slice of them, the stats."""
    sizes = _REST.unpack_from(data)
    at = _REST.size
    paths = data[at : at + sizes[0]]
    spans = data[at + sizes[0] : at + sizes[0] + sizes[1]]
    stats = data[at + sizes[0] + sizes[1] :]
    if len(stats) != count * _STAT.size or (count and paths.count(b"\0") != count - 1):
        raise ValueError("a short listing")
    ends = [int(n) for n in spans.split(b"\0")] if spans else []
    if len(ends) != 2 * len(runs):
        raise ValueError("a garbled listing")
    where = {(a, b): slice(ends[2 * i], ends[2 * i + 1]) for i, (_, a, b) in enumerate(runs)}
    return paths, where, stats


def _stop(pid: int) -> None:
    """Stop the child (gone already when its pipe was read to the end) without waiting for
    the kernel to tear it down (~1 ms): `discard` reaps it when the command ends."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _stopped.append(pid)


def discard() -> None:
    """Stop an unused child (a command that ended before it listed); reap every child."""
    global _child
    if _child is not None:
        pid, fd = _child
        _child = None
        os.close(fd)
        _stop(pid)
    while _stopped:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(_stopped.pop(), 0)
