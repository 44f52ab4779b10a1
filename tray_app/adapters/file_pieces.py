"""A large transcript read as several pieces by several readers, then joined as one read.

The files of a first scan are read oldest-modified first, so the session in use (often the
largest file by far) comes last: read whole, one reader worked on it alone while the other
waited (on the 1 GB test set, a 95 MB file: ~0.24 s of one idle core). Cut at line ends,
its pieces go to different readers like any other file; the reads of the pieces are joined
back into one read of the file before anyone sees them, so positions, counters and bad
lines are the file's, exactly as one pass gives them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field

from tray_app.adapters.bulk_read import Job
from tray_app.adapters.transcript import MAX_PLACES, OPEN_FLAGS, UNKNOWN, FileRead

PROBE_BYTES = 1 << 16  # read at a cut to find the next line end (more if the line is long)


def line_end_after(fd: int, at: int, limit: int) -> int:
    """The first offset past a newline at or after `at` (and before `limit`), or `limit`."""
    pos, want = at, PROBE_BYTES
    while pos < limit:
        chunk = os.pread(fd, min(want, limit - pos), pos)
        if not chunk:
            break
        nl = chunk.find(b"\n")
        if nl >= 0:
            return pos + nl + 1
        pos += len(chunk)
        want = min(want * 4, 16 << 20)  # a long line (an image, a tool's output): bigger reads
    return limit


def cut_job(job: Job, piece: int) -> tuple[list[Job], tuple[int, int]]:
    """`job` as pieces of about `piece` bytes, each ending just past a newline (the last
    ends where the job does), and the device and inode cut. A file that cannot be opened
    stays whole: its reader reports it."""
    path, offset, lines, limit, place = job
    if limit - offset <= piece:
        return [job], (0, 0)
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError:
        return [job], (0, 0)
    try:
        st = os.fstat(fd)
        ends = []
        start = offset
        # (Something else put there since the listing, a device say: its reader says so.)
        while start + piece < limit and stat.S_ISREG(st.st_mode):
            # A piece ends past the newline ending the line that holds its last byte.
            end = line_end_after(fd, start + piece - 1, limit)
            if end >= limit:
                break
            ends.append(end)
            start = end
    except OSError:
        return [job], (0, 0)
    finally:
        os.close(fd)
    starts = [offset, *ends]
    # Lines before a later piece are not known: counted from the file if a bad line needs it.
    return [
        (path, a, lines if a == offset else UNKNOWN, b, place)
        for a, b in zip(starts, [*ends, limit], strict=True)
    ], (st.st_dev, st.st_ino)


@dataclass(slots=True)
class Pieces:
    """Which files were cut, and their pieces' reads until the last one is in."""

    limits: dict[str, list[int]] = field(default_factory=dict)  # path → each piece's end
    identity: dict[str, tuple[int, int]] = field(default_factory=dict)  # the file cut
    held: dict[str, list[FileRead | str]] = field(default_factory=dict)

    def cut(
        self, jobs: Sequence[Job], sizes: Sequence[int], piece: int
    ) -> tuple[list[Job], list[int]]:
        """The jobs with every file over `piece` bytes cut, and the bytes each reads."""
        out: list[Job] = []
        out_sizes: list[int] = []
        for job, size in zip(jobs, sizes, strict=True):
            parts, identity = cut_job(job, piece)
            if len(parts) == 1:
                out.append(job)
                out_sizes.append(size)
                continue
            self.limits[job[0]] = [part[3] for part in parts]
            self.identity[job[0]] = identity
            out.extend(parts)
            out_sizes.extend(part[3] - part[1] for part in parts)
        return out, out_sizes

    def join(self, reads: list[tuple[str, FileRead | str]]) -> list[tuple[str, FileRead | str]]:
        """A range's reads with each cut file's pieces held until its last one, then joined."""
        if not self.limits:
            return reads
        out: list[tuple[str, FileRead | str]] = []
        for path, read in reads:
            limits = self.limits.get(path)
            if limits is None:
                out.append((path, read))
                continue
            held = self.held.setdefault(path, [])
            held.append(read)
            if len(held) == len(limits):
                del self.held[path]
                out.append((path, joined(held, limits, self.identity[path])))
        return out


CHANGED = "changed while it was read"


def joined(
    reads: Sequence[FileRead | str], limits: Sequence[int], identity: tuple[int, int]
) -> FileRead | str:
    """One read of a file from its pieces' reads (in file order).

    An unreadable piece makes the file unreadable (its position stays where it was; what the
    other pieces counted is counted again on the next read, once), and so does a piece of
    another file than the one cut (replaced meanwhile: its pieces would start mid-line, and
    report bad lines the file does not have). The position is where reading stopped being
    contiguous: a piece that ended before its end (the file shrank meanwhile) leaves the
    bytes after it to be read again.
    """
    for read in reads:
        if isinstance(read, str):
            return read
        if read.identity != identity:
            return CHANGED
    whole = FileRead()
    stop: FileRead | None = None  # the first piece that ended before its end
    for read, limit in zip(reads, limits, strict=True):
        assert not isinstance(read, str)  # (checked above; for mypy)
        whole.bytes_read += read.bytes_read
        whole.bad_count += read.bad_count
        whole.bad.extend(read.bad[: MAX_PLACES - len(whole.bad)])
        if stop is None and read.end_offset < limit:
            stop = read
    done = stop if stop is not None else reads[-1]
    assert not isinstance(done, str)
    whole.end_offset, whole.lines = done.end_offset, done.lines
    return whole
