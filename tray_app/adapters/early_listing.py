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

The child sends its listing in two parts, so that a start with nothing new reads only
its fingerprint (adapters/listing_parts.py).

Only on POSIX with at least two cores, only from the launcher of a report (one thread,
nothing else started), and at most once per process. The child touches no SQLite and no
logging: it sends its warnings, and the scan logs them as its own listing does.
"""

from __future__ import annotations

import contextlib  # (loaded at start-up already)
import os
import signal
import sys

from tray_app.adapters import listing_parts

# Not typing.TYPE_CHECKING, no dataclasses: this loads before the fork, on every command's
# path (typing and dataclasses cost ~10 ms; the command loads them later anyway).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tray_app.adapters.discovery import Roots
    from tray_app.adapters.listing import Run
    from tray_app.adapters.listing_parts import Listing

# The reports that list every transcript (doctor reads with its own, validating pass).
COMMANDS = frozenset(
    {"status", "blocks", "sessions", "session", "daily", "weekly", "monthly", "models",
     "name", "export", "limits"}
)  # fmt: skip
_child: tuple[int, int] | None = None  # the child's pid and the pipe's read end
# Modules the command imports after the listing anyway (or likely: the reading modules),
# imported while the child still lists instead of waiting idle; and those that were.
_warm: list[str] = []
warmed: list[str] = []
_stopped: list[int] = []  # children stopped, reaped when the command ends (`discard`)

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
    mark = disk_mark(found, runs)
    return found, runs, listing_parts.first_part(dirs, warnings, mark, runs, len(found))


def _rest(found: dict[str, os.stat_result], runs: Sequence[Run]) -> bytes:
    """The second part (listing_parts.py)."""
    return listing_parts.second_part(found, runs)


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
        need = listing_parts.first_size(data)
        if need and len(data) >= need:
            return bytes(data[:need]), data[need:]
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise ValueError("a short listing")  # (a child that died half-way)
        data += chunk


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
        listing = listing_parts.parse_first(first, roots, warnings, (pid, fd), more, _stop)
    except Exception:  # (an interrupted read, a child that died: this process lists itself)
        listing = None
    finally:
        if listing is None:
            os.close(fd)
            _stop(pid)
    return listing


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
