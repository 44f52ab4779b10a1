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
_HEAD = struct.Struct("<IIIIIQ")  # lengths: folders, warnings, mark, paths, runs; file count
_STAT = struct.Struct("<QQQq")  # size, inode, device, mtime_ns: what the scan reads of a stat
_SEP = "\0"  # in no path and no warning
_child: tuple[int, int] | None = None  # the child's pid and the pipe's read end
# Modules the command imports after the listing anyway (or likely: the reading modules),
# imported while the child still lists instead of waiting idle; and those that were.
_warm: list[str] = []
warmed: list[str] = []


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
            _send(write_end, _listing(args))
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


def _listing(args: Sequence[str]) -> bytes:
    """The folders listed, the listing's warnings and the listing, as one message."""
    from tray_app.adapters.listing import disk_mark, list_transcripts

    dirs = guess_dirs(args, os.environ)
    warnings: list[str] = []
    runs: list[Run] = []
    found = list_transcripts(dirs, warnings, runs)
    key = _SEP.join(dirs).encode("utf-8", "surrogateescape")
    said = _SEP.join(warnings).encode("utf-8", "surrogateescape")
    # A start with nothing new needs only the mark; with something new, the runs of the
    # folders whose line in it changed.
    mark = disk_mark(found, runs).encode("utf-8", "surrogateescape")
    # The paths folder by folder, so that a folder's names decode alone: each run also says
    # where its names are in these bytes.
    names = list(found)
    chunks = [_SEP.join(names[a:b]).encode("utf-8", "surrogateescape") for _, a, b in runs]
    paths = _SEP.encode().join(chunks)
    where, at = [], 0
    for (prefix, a, b), chunk in zip(runs, chunks, strict=True):
        where.append(_SEP.join((prefix, str(a), str(b), str(at), str(at + len(chunk)))))
        at += len(chunk) + 1
    spans = _SEP.join(where).encode("utf-8", "surrogateescape")
    pack = _STAT.pack
    stats = b"".join(pack(s.st_size, s.st_ino, s.st_dev, s.st_mtime_ns) for s in found.values())
    head = _HEAD.pack(len(key), len(said), len(mark), len(paths), len(spans), len(found))
    return b"".join((head, key, said, mark, paths, spans, stats))


def _send(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.close(fd)


def warm(modules: Sequence[str]) -> None:
    """Import `modules` while waiting for the child's listing, if it comes late (with
    10,000 transcripts the child lists for longer than the command takes to load)."""
    if _child is not None:  # (nothing to wait for otherwise: a process that never forked)
        _warm.extend(modules)


def _receive(fd: int) -> bytes:
    """Everything the child sent, until it closes the pipe (exits).

    No time limit: a slow listing (a cold network home) would take as long in this process,
    and the child holds no lock anyone could keep from it (it starts with one thread).
    """
    chunks: list[bytes] = []
    if _warm:
        os.set_blocking(fd, False)
        try:
            while _warm:
                try:
                    chunks.append(os.read(fd, 1 << 20))
                    break  # (the child sends all at its end: its first bytes mean done)
                except BlockingIOError:
                    name = _warm.pop(0)
                    with contextlib.suppress(Exception):  # (its own import will say why)
                        __import__(name)
                        warmed.append(name)
        finally:
            os.set_blocking(fd, True)
            _warm.clear()
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


class Listing:
    """The child's listing: its fingerprint at once, the files only when asked."""

    __slots__ = ("count", "mark", "paths", "spans", "stats")

    def __init__(self, mark: str, count: int, paths: bytes, spans: bytes, stats: bytes) -> None:
        self.mark = mark  # listing.disk_mark of the files
        self.count = count
        self.paths = paths
        self.spans = spans  # each folder's run (listing.Run), as text
        self.stats = stats

    def runs(self) -> list[Run]:
        """Where each folder's files are in the listing (`list_transcripts`' runs)."""
        return [(p, a, b) for p, a, b, _ in self._spans()]

    def _spans(self) -> list[tuple[str, int, int, slice]]:
        """Each run with where its names are in `paths`."""
        if not self.spans:
            return []
        parts = self.spans.decode("utf-8", "surrogateescape").split(_SEP)
        ints = [int(n) for i, n in enumerate(parts) if i % 5]
        return [
            (parts[i * 5], ints[i * 4], ints[i * 4 + 1], slice(ints[i * 4 + 2], ints[i * 4 + 3]))
            for i in range(len(parts) // 5)
        ]

    def found(self, runs: Sequence[Run] | None = None) -> dict[str, Listed]:
        """Every transcript with its stat in listing order (as `list_transcripts` gives), or
        only those of `runs` (only their names decoded)."""
        if not self.count:
            return {}
        new = tuple.__new__
        if runs is None:
            names = self.paths.decode("utf-8", "surrogateescape").split(_SEP)
            stats = [new(Listed, s) for s in _STAT.iter_unpack(self.stats)]
            return dict(zip(names, stats, strict=True))
        wanted = {(first, end) for _, first, end in runs}
        size, unpack = _STAT.size, _STAT.unpack_from
        found: dict[str, Listed] = {}
        for _, first, end, where in self._spans():
            if (first, end) in wanted:
                names = self.paths[where].decode("utf-8", "surrogateescape").split(_SEP)
                for i, name in enumerate(names, first):
                    found[name] = new(Listed, unpack(self.stats, i * size))
        return found


def take(roots: Roots, warnings: list[str]) -> Listing | None:
    """The child's listing of `roots` (its warnings added to `warnings`), or None: list anew.

    The child is reaped here (at most once per process); any failure means None.
    """
    global _child
    if _child is None:
        return None
    pid, fd = _child
    _child = None
    try:
        data = _receive(fd)
    except Exception:  # (an interrupted read: this process lists by itself)
        data = b""
    finally:
        os.close(fd)
        _reap(pid, stop=True)
    try:
        return _parse(data, roots, warnings)
    except Exception:  # (a child that died half-way, or a message it garbled)
        return None


def _parse(data: bytes, roots: Roots, warnings: list[str]) -> Listing | None:
    sizes = _HEAD.unpack_from(data)
    count = sizes[-1]
    parts, at = [], _HEAD.size
    for size in sizes[:-1]:
        parts.append(data[at : at + size])
        at += size
    key, said, mark, paths, spans = parts
    stats = data[at:]
    if key.decode("utf-8", "surrogateescape") != _SEP.join(map(str, roots.dirs)):
        return None  # other folders than the command's roots: its own listing counts
    if len(stats) != count * _STAT.size or (count and paths.count(b"\0") != count - 1):
        raise ValueError("a short listing")
    if said:
        from tray_app.adapters.discovery import report  # as the scan's own listing does

        report(said.decode("utf-8", "surrogateescape").split(_SEP), warnings)
    return Listing(mark.decode("utf-8", "surrogateescape"), count, paths, spans, stats)


def _reap(pid: int, stop: bool = False) -> None:
    """Wait for the child; `stop` it first (gone already when its pipe was read to the end)."""
    if stop:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def discard() -> None:
    """Stop and reap an unused child (a command that ended before it listed)."""
    global _child
    if _child is not None:
        pid, fd = _child
        _child = None
        os.close(fd)
        _reap(pid, stop=True)
