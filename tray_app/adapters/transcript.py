"""Read a transcript from a byte offset: complete lines only, usage lines only, never fatal."""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from tray_app.adapters.digest import short_digest
from tray_app.adapters.usual_line import usual_row
from tray_app.usage.model import Entry, ResetNotice
from tray_app.usage.parse import NO_IDS, Rejected, extract

log = logging.getLogger(__name__)

CHUNK = 4 << 20
MAX_LINE = 64 << 20  # longer lines are counted as bad and skipped, never held in memory
USAGE = b'"usage":'  # inside a JSON string this appears escaped, so text never matches
ASSISTANT = b'"assistant"'  # likewise
MAX_PLACES = 20
UNKNOWN = -1  # a line count not kept (a bulk read): counted from the file if a bad line needs it
BOM = b"\xef\xbb\xbf"
Buffer = bytes | bytearray  # lines are cut from a reused bytearray
# A bulk read's sink: an Entry's fields as a plain tuple, an Entry, or a ResetNotice.
Put = Callable[[tuple[object, ...] | Entry | ResetNotice], None]
_new_entry = tuple.__new__  # Entry(...) runs a Python-level __new__ with 17 arguments
# Never block on open: a FIFO named *.jsonl would otherwise wait for a writer forever.
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


@dataclass(frozen=True, slots=True)
class BadLine:
    """Where a bad line is and why (for `doctor`)."""

    path: str
    line: int
    reason: str


@dataclass(slots=True)
class FileRead:
    """What one read of a file produced."""

    # Empty when read_from was given `put` (bulk_read's own use): each went there instead.
    items: list[Entry | ResetNotice] = field(default_factory=list)
    end_offset: int = 0  # just past the last complete line consumed
    lines: int = 0  # lines before end_offset (for line numbers next time); UNKNOWN: not counted
    bytes_read: int = 0
    bad_count: int = 0
    bad: list[BadLine] = field(default_factory=list)
    identity: tuple[int, int] = (0, 0)  # the device and inode read (a file's pieces: the same)


def file_place(path: Path, root: Path | None = None) -> str:
    """A file's id for its id-less lines: its path below `root` (same through any root)."""
    return place_id(path.relative_to(root) if root and path.is_relative_to(root) else path)


def place_id(rel: str | Path) -> str:
    """`file_place`'s id of a path as given (below its root, or whole)."""
    return short_digest(os.fsencode(rel))


def _bad_reason(line: Buffer, exc: Exception) -> str:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    text = str(exc).split(":", 1)[0]
    return f"malformed JSON ({text})"


class _Reader:
    """State of one pass over a file."""

    def __init__(
        self,
        path: str,
        result: FileRead,
        start: tuple[int, int],
        validate: bool,
        place: str,
        count: bool,
        put: Put | None = None,
    ) -> None:
        self.path = path
        # Where each response or notice goes; a `put` takes the usual lines as plain rows.
        self.add: Put = result.items.append if put is None else put  # type: ignore[assignment]
        self.plain = put is not None
        self.result = result
        offset, first_line = start
        # Lines before the buffer (None: not tracked). Counting every newline costs ~9 %
        # of a first scan; line numbers are only needed for bad lines, so a bulk read
        # skips it and counts from the file the first time a bad line needs a number.
        self.line_base: int | None = first_line if count and first_line >= 0 else None
        self._known = (offset, first_line) if first_line >= 0 else (0, 0)  # counted up to
        self.validate = validate
        self.place = place
        self.buf_offset = offset  # file offset of the buffer's first byte
        self._seen: tuple[int, int] | None = None  # (buffer position, lines before it)

    def base(self) -> int:
        """Lines before the buffer; counted from the file when they were not tracked."""
        if self.line_base is None:
            offset, lines = self._known
            self.line_base = lines + count_newlines(self.path, offset, self.buf_offset)
        return self.line_base

    def bad(self, line_no: int, reason: str) -> None:
        self.result.bad_count += 1
        if len(self.result.bad) < MAX_PLACES:
            self.result.bad.append(BadLine(self.path, line_no, reason))

    def line_no(self, buf: Buffer, line_start: int) -> int:
        """The number of the line starting at `line_start` (calls come in buffer order)."""
        # Counted on from the previous bad line: a file full of bad lines stays linear.
        pos, lines = self._seen if self._seen is not None else (0, self.base())
        lines += buf.count(b"\n", pos, line_start)
        self._seen = (line_start, lines)
        return lines + 1

    def take(self, line: Buffer, buf: Buffer, line_start: int) -> None:
        """Decode one candidate line and keep what it carries."""
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            try:
                # A byte order mark (some editors write one) is not part of the JSON.
                obj = orjson.loads(line[3:]) if line.startswith(BOM) else None
            except orjson.JSONDecodeError:
                obj = None
            if obj is None:
                if line.strip():
                    self.bad(self.line_no(buf, line_start), _bad_reason(line, exc))
                return
        self.keep(obj, buf, line_start)

    def keep(self, obj: object, buf: Buffer, line_start: int) -> None:
        """Keep what a decoded line carries under the full rules (or report it as bad)."""
        item = extract(obj)
        if item is None:
            return
        if isinstance(item, Rejected):
            self.bad(self.line_no(buf, line_start), item.reason)
            return
        if type(item) is Entry and item.key.endswith(NO_IDS):
            # No ids at all: the line's place keys it (stable across re-reads).
            item = item._replace(key=f"{item.key}{self.place}:{self.buf_offset + line_start}")
        self.add(item)

    def process(self, buf: Buffer, end: int) -> None:
        """Handle the complete lines in buf[:end] (end is just past a newline)."""
        self._seen = None
        if self.validate:
            pos = 0
            while pos < end:
                nl = buf.find(b"\n", pos, end)
                line = buf[pos:nl]
                if ASSISTANT in line and USAGE in line:
                    self.candidate(line, buf, pos)  # exactly as a read that does not validate
                else:
                    self.take(line, buf, pos)
                pos = nl + 1
        else:
            self.candidates(buf, end)
        if self.line_base is not None:
            self.line_base += buf.count(b"\n", 0, end)

    def candidates(self, buf: Buffer, end: int) -> None:
        """Keep what the lines of buf[:end] holding both `"usage":` and `"assistant"` carry."""
        # The hot loop of a first scan: one search per candidate, no copy of other lines.
        find, rfind = buf.find, buf.rfind
        candidate = self.candidate
        # `"assistant"` first: a longer needle is found faster, and only assistant lines
        # and agent_progress copies (which hold it) carry counted usage.
        hit = find(ASSISTANT, 0, end)
        while hit >= 0:
            line_start = rfind(b"\n", 0, hit) + 1
            line_end = find(b"\n", hit, end)
            # From the end: the usage object closes the message, a few fields before the
            # line's end, while the text and tool input come before it.
            if rfind(USAGE, line_start, line_end) >= 0:
                candidate(buf[line_start:line_end], buf, line_start)
            hit = find(ASSISTANT, line_end + 1, end)

    def candidate(self, line: Buffer, buf: Buffer, line_start: int) -> None:
        """One line holding both needles: the usual one decoded straight into a response
        (adapters/usual_line.py), anything else decoded in full under the full rules."""
        row = usual_row(line)
        if row is None:
            self.take(line, buf, line_start)  # the full rules, or a bad line
        elif self.plain:
            self.add(row)
        else:
            self.add(_new_entry(Entry, row))

    @property
    def lines(self) -> int:
        """Lines before the buffer, or UNKNOWN."""
        return UNKNOWN if self.line_base is None else self.line_base


def count_newlines(path: str, start: int, end: int) -> int:
    """Newlines in bytes [start, end) of the file (for a line number nobody counted)."""
    fd = os.open(path, OPEN_FLAGS)
    try:
        found = 0
        while start < end:
            chunk = os.pread(fd, min(CHUNK, end - start), start)
            if not chunk:
                break
            found += chunk.count(b"\n")
            start += len(chunk)
        return found
    finally:
        os.close(fd)


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """Open `path` for reading without blocking; OSError unless it is a regular file."""
    fd = os.open(path, OPEN_FLAGS)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        # FIFOs, devices (/dev/zero behind a symlink), sockets: never read.
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return fd, st


def read_from(
    path: Path,
    offset: int = 0,
    first_line: int = 0,
    validate: bool = False,
    limit: int | None = None,
    place: str | None = None,
    count: bool = True,
    scratch: bytearray | None = None,
    put: Put | None = None,
) -> FileRead:
    """Read complete lines of `path` from `offset` up to `limit` bytes (the size at stat).

    `validate` parses every line (doctor); `place` ids the file for lines without ids.
    `first_line` is the number of lines before `offset` (UNKNOWN if not counted); without
    `count` they are not counted on (the result's `lines` is UNKNOWN) unless a bad line
    needs a number. `scratch` is a buffer to read into (grown when needed), so that many
    reads in a row reuse one (a bulk read); nothing read keeps a reference to it. With
    `put`, each response and notice goes to it as it is read (the usual lines' as plain
    tuples of Entry's fields), not into the result's `items`.
    """
    result = FileRead(end_offset=offset, lines=first_line)
    where = file_place(path) if place is None else place
    reader = _Reader(str(path), result, (offset, first_line), validate, where, count, put)
    fd, st = open_regular(path)
    result.identity = (st.st_dev, st.st_ino)
    end = st.st_size if limit is None else min(limit, st.st_size)
    # One buffer for the whole read, filled in place: a new bytes object per chunk cost a
    # page fault per 4 KiB (~0.1 s of kernel time per 200 MB in a first scan).
    data = bytearray(min(CHUNK, max(end - offset, 0))) if scratch is None else scratch
    with open(fd, "rb", buffering=0) as handle:
        handle.seek(offset)
        filled = 0  # data[:filled] holds the unfinished line carried over
        consumed = offset
        skipping = False  # inside a line longer than MAX_LINE
        while consumed + filled < end:
            want = min(CHUNK, end - consumed - filled)
            if len(data) < filled + want:
                data.extend(bytes(filled + want - len(data)))
            with memoryview(data) as view:
                got = handle.readinto(view[filled : filled + want])
            if not got:
                break
            result.bytes_read += got
            stop = filled + got  # data[:stop] is the buffer now
            if skipping:  # then filled == 0
                nl = data.find(b"\n", 0, stop)
                if nl < 0:
                    consumed += got
                    continue
                skipping = False
                consumed += nl + 1
                if reader.line_base is not None:
                    reader.line_base += 1
                stop -= nl + 1
                data[:stop] = data[nl + 1 : nl + 1 + stop]
                result.end_offset, result.lines = consumed, reader.lines
            last_nl = data.rfind(b"\n", 0, stop)
            if last_nl < 0:
                filled = stop
                if stop > MAX_LINE:
                    reader.buf_offset = consumed  # where the long line starts
                    reader.bad(reader.base() + 1, f"line longer than {MAX_LINE >> 20} MiB")
                    consumed += stop
                    filled = 0
                    skipping = True
                continue
            reader.buf_offset = consumed
            reader.process(data, last_nl + 1)
            consumed += last_nl + 1
            filled = stop - last_nl - 1
            data[:filled] = data[last_nl + 1 : stop]
            result.end_offset, result.lines = consumed, reader.lines
    return result
