"""A user's transcript tree written over several runs, with the truth it must count to.

A story is a set of responses, each with one or more copies (the streaming lines of one
response, a subagent's progress copy, a resumed session's copy with a bigger usage) spread
over a session's files. Each file's bytes are appended in random chunks (a line may be cut
in two and finished in a later run), files may be replaced between runs (the ledger keeps
what was counted), and runs happen between the appends. The truth is what docs/counting-
rules.md says those lines count to, computed here from the lines themselves: for each key
the copy with the largest output, at the earliest time of any copy seen, in the session of
its copies (copies keep their sessionId verbatim, as Claude Code's resumed files do).
"""

from __future__ import annotations

import json
import os
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.builders import T0, assistant, progress_copy, write_jsonl

MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "claude-mystery-9")  # the last: no price
PLACES = ("main", "progress", "subagent", "resumed")


def session_id(n: int) -> str:
    """The session id of session number n."""
    return f"5e5510{n}-0000-4000-8000-00000000000{n}"


def cwd_of(n: int) -> str:
    """Session n's working dir (two sessions share a project)."""
    return f"/home/u/proj-{n % 2}"


@dataclass(frozen=True)
class Copy:
    """One line carrying a response: its output, minutes after T0 and the file it goes to."""

    output: int
    minutes: int
    place: str


@dataclass(frozen=True)
class Response:
    """A response with its copies (distinct outputs, so the winner is never a tie)."""

    n: int
    session: int
    model: int
    input_tokens: int
    cache_read: int
    copies: tuple[Copy, ...]


@dataclass(frozen=True)
class Notice:
    """A `<synthetic>` usage-limit line: the block ends `hours` whole UTC hours later."""

    n: int
    session: int
    minutes: int
    hours: int

    def line(self) -> dict[str, Any]:
        """The line Claude Code writes when the limit is hit."""
        line = assistant(f"msg_notice_{self.n}", 0, minutes=self.minutes, input_tokens=0,
                         session=session_id(self.session), request=None, model="<synthetic>",
                         cwd=cwd_of(self.session))  # fmt: skip
        at = T0.timestamp() + self.minutes * 60
        resets = (int(at) // 3600 + self.hours) * 3600
        line["message"]["content"] = [
            {"type": "text", "text": f"Claude AI usage limit reached|{resets}"}
        ]
        return line


def file_of(root: Path, r: Response, place: str) -> Path:
    """Where a copy in `place` is written for response r's session."""
    project = root / cwd_of(r.session).replace("/", "-")
    sid = session_id(r.session)
    if place == "subagent":
        return project / sid / "subagents" / "agent-a1.jsonl"
    if place == "resumed":
        return project / f"{sid[:-1]}9.jsonl"  # another session's file, copies verbatim
    return project / f"{sid}.jsonl"


def line_of(r: Response, c: Copy, **changes: Any) -> dict[str, Any]:
    """The JSONL line of one copy."""
    line = assistant(
        f"msg_{r.n:03d}",
        c.output,
        minutes=c.minutes,
        session=session_id(r.session),
        request=f"req_{r.n:03d}",
        model=MODELS[r.model],
        input_tokens=r.input_tokens,
        cache_read=r.cache_read,
        sidechain=c.place == "subagent",
        cwd=cwd_of(r.session),
        **changes,
    )
    return progress_copy(line, session_id(r.session)) if c.place == "progress" else line


def encoded(line: dict[str, Any]) -> bytes:
    """One line's bytes as written (compact JSON and a newline)."""
    return json.dumps(line, separators=(",", ":")).encode() + b"\n"


@dataclass
class Tree:
    """The transcript tree on disk and the truth of what its complete lines count to."""

    root: Path
    written: dict[Path, bytes] = field(default_factory=dict)  # bytes since the last replace
    truth: dict[str, tuple[Response, Copy, int]] = field(default_factory=dict)  # key → winner
    notices: set[Notice] = field(default_factory=set)  # limit lines read
    rotated: bool = False  # a file lost lines (the ledger still has them)

    def append(self, path: Path, data: bytes) -> None:
        """Append bytes to a file (a chunk may end inside a line)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as handle:
            handle.write(data)
        self.written[path] = self.written.get(path, b"") + data

    def replace(self, path: Path, keep: bool = False) -> None:
        """Replace a file by a new one (another inode) holding only its unfinished last
        line (a rotation: the complete lines were read already and live on in the ledger),
        or with `keep` the same bytes (a sync tool's copy: all read again, a replay)."""
        data = self.written.get(path, b"")
        tail = data if keep else data.rpartition(b"\n")[2]
        self.rotated |= tail != data
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(tail)
        os.replace(tmp, path)
        self.written[path] = tail

    def observe(self, lines: dict[bytes, tuple[Response, Copy] | Notice | None]) -> None:
        """Count the complete lines on disk now into the truth (a run reads exactly these)."""
        for data in self.written.values():
            for raw in data.split(b"\n")[:-1]:
                found = lines[raw + b"\n"]
                if found is None:  # a bad line: skipped, never counted
                    continue
                if isinstance(found, Notice):
                    self.notices.add(found)
                    continue
                r, c = found
                key = f"msg_{r.n:03d}"
                old = self.truth.get(key)
                if old is None:
                    self.truth[key] = (r, c, c.minutes)
                else:
                    winner = c if c.output > old[1].output else old[1]
                    self.truth[key] = (r, winner, min(old[2], c.minutes))

    def write_truth(self, out: Path, sessions: Container[int] = range(3)) -> Path:
        """The counted responses (of these sessions) as one canonical line each (winner's
        usage, earliest time, first session): a tree a count reads with nothing to merge."""
        rows = sorted(self.truth.values(), key=lambda t: (t[2], t[0].n))
        for r, c, minutes in (row for row in rows if row[0].session in sessions):
            line = line_of(r, Copy(c.output, minutes, "main"))
            write_jsonl(file_of(out / "projects", r, "main"), [line], "a")
        for x in sorted(self.notices, key=lambda x: x.n):
            main = out / "projects" / cwd_of(x.session).replace("/", "-") / "notices.jsonl"
            write_jsonl(main, [x.line()], "a")
        (out / "projects").mkdir(parents=True, exist_ok=True)
        return out / "projects"

    def totals(self) -> dict[str, int]:
        """The headline figures of the truth, named like the JSON `totals`."""
        rs = list(self.truth.values())
        return {
            "input_tokens": sum(r.input_tokens for r, _, _ in rs),
            "output_tokens": sum(c.output for _, c, _ in rs),
            "cache_read_tokens": sum(r.cache_read for r, _, _ in rs),
            "responses": len(rs),
        }
