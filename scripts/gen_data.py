"""Generate a realistic Claude Code data dir of a chosen size, with its expected totals.

Usage: ``python -m scripts.gen_data OUT_DIR --size-mb 1000 --seed 1``

Writes ``OUT_DIR/projects/<encoded-cwd>/<session-uuid>.jsonl`` (plus subagent files in
every layout Claude Code has used) and ``OUT_DIR/expected.json`` with the totals the counting rules
gives: each unique response counted once (key = ``message.id``), the copy with the
largest ``output_tokens`` winning. ``<synthetic>`` responses carry no tokens and are
counted apart (``synthetic_responses``), not in ``responses``.

Reuse: ``generate(out_dir, size_mb=..., seed=...)`` returns the expected totals;
``append(out_dir, n_bytes)`` and ``append_responses(path, count)`` add complete new
responses to an existing session file and return the totals they add.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import math
import os
import queue
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

MiB = 1024 * 1024
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
DEFAULT_END = "2026-02-27T19:00:00Z"  # fixed so a seed gives the same bytes on any day
SPAN_DAYS = 25
SESSION_GAP_MS = 15 * 60_000  # mean break between two sessions

OPUS = "claude-opus-4-6"
SONNET = "claude-sonnet-4-5-20250929"
HAIKU = "claude-haiku-4-5-20251001"
SYNTHETIC = "<synthetic>"

PROJECTS = (
    ("/home/dev/projects/api-server", "main"),
    ("/home/dev/projects/web_app", "feature/login-flow"),
    ("/home/dev/work/data.pipeline", "main"),
    ("/home/dev/src/token-monitor", "issue-3-live"),
    ("/home/dev/projects/spotter-worktrees/spotter-dov", "spotter-dov"),
    ("/home/dev/oss/rust cli", "master"),
    ("/home/dev/projects/infra", "ops/terraform-1.9"),
)

# Session layouts: (name, versions, cache breakdown, subagent layout)
LAYOUTS = ("v21", "v20_flat", "v20_inline", "v1")
LAYOUT_WEIGHTS = (0.55, 0.2, 0.15, 0.1)
FIRST_SESSIONS = ("v21", "v20_flat", "resume", "v20_inline", "v1")
VERSIONS = {
    "v21": (b"2.1.38", b"2.1.39", b"2.1.42"),
    "v20_flat": (b"2.0.64", b"2.0.76", b"2.1.1"),
    "v20_inline": (b"2.0.13", b"2.0.14", b"2.0.28"),
    "v1": (b"1.0.85", b"1.0.98", b"1.0.113"),
}

_WORDS = [
    "def",
    "return",
    "self",
    "value",
    "result",
    "error",
    "config",
    "user",
    "data",
    "file",
    "path",
    "index",
    "item",
    "list",
    "dict",
    "import",
    "from",
    "class",
    "async",
    "await",
    "None",
    "True",
    "False",
    "print",
    "len",
    "range",
    "for",
    "while",
    "if",
    "else",
    "elif",
    "try",
    "except",
    "raise",
    "with",
    "open",
    "read",
    "write",
    "close",
    "json",
    "load",
    "dump",
    "parse",
    "token",
    "usage",
    "input",
    "output",
    "cache",
    "block",
    "session",
    "model",
    "request",
    "response",
    "message",
    "stream",
    "line",
    "buffer",
    "offset",
    "size",
    "count",
    "total",
    "sum",
    "max",
    "min",
    "sort",
    "key",
    "lambda",
    "map",
    "filter",
    "zip",
    "enumerate",
    "status",
    "active",
    "idle",
    "limit",
    "reset",
    "window",
    "hour",
    "minute",
    "second",
    "timestamp",
    "ledger",
    "scan",
    "tail",
    "worker",
    "pool",
    "queue",
    "thread",
    "lock",
    "event",
    "signal",
    "handle",
    "process",
    "spawn",
    "wait",
    "kill",
    "exit",
    "code",
    "assert",
    "test",
    "fixture",
    "mock",
    "patch",
    "expected",
    "actual",
    "compare",
    "equal",
    "module",
    "package",
    "export",
    "render",
    "view",
    "component",
    "props",
    "state",
    "effect",
    "hook",
    "route",
    "handler",
    "middleware",
    "server",
    "client",
]
_IDENT = [w for w in _WORDS if w.isalpha()]
_TREE = ("│   ├── ", "│   └── ", "├── ", "└── ", "    ")
_LEVELS = ("DEBUG", "INFO", "INFO", "WARN", "ERROR")
_EXTS = (".py", ".ts", ".ex", ".rs", ".go", ".json", ".md")
_TOOLS = ("Bash", "Read", "Grep", "Glob", "Edit", "Write")
_HOOKS = ("/home/dev/.claude/hooks/notify.sh", "bd prime", "${CLAUDE_PLUGIN_ROOT}/hooks/check.sh")
OUT_RANGE = {"thinking": (80, 1720), "text": (20, 880), "tool_use": (30, 320)}
B_THINKING = b'{"type":"thinking","thinking":"%s","signature":"%s"}'
B_TEXT = b'{"type":"text","text":"%s"}'
B_TOOL_USE = b'{"type":"tool_use","id":"%s","name":"%s","input":%s,"caller":{"type":"direct"}}'
API_ERROR = b'API Error: 529 {\\"type\\":\\"error\\",\\"error\\":{\\"type\\":\\"overloaded\\"}}'
STEP_KINDS = (
    ("tool_use",),
    ("text", "tool_use"),
    ("thinking", "tool_use"),
    ("thinking", "text", "tool_use"),
    ("thinking", "text", "tool_use", "tool_use"),
    ("tool_use", "tool_use"),
    ("text", "tool_use", "tool_use", "tool_use"),
)
_B62 = bytes.maketrans(b"+/", b"xQ")


def encode_cwd(cwd: str) -> str:
    """Claude Code's lossy project dir name: every non-alphanumeric character becomes '-'."""
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


def parse_ts(text: str) -> float:
    """ISO-8601 UTC text to epoch seconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass
class Expected:
    """Totals of what was generated under the counting rules (the winner copy of each response)."""

    responses: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    cache_5m_tokens: int = 0
    cache_1h_tokens: int = 0
    synthetic_responses: int = 0
    by_model: dict[str, dict[str, int]] = field(default_factory=dict)
    reset_notices: list[list[float]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def add(self, model: str, inp: int, out: int, c5: int, c1: int, cr: int) -> None:
        """Count one unique response's winning usage."""
        self.responses += 1
        self.input_tokens += inp
        self.output_tokens += out
        self.cache_creation_tokens += c5 + c1
        self.cache_read_tokens += cr
        self.cache_5m_tokens += c5
        self.cache_1h_tokens += c1
        m = self.by_model.get(model)
        if m is None:
            m = self.by_model[model] = dict.fromkeys(
                ("responses", "input_tokens", "output_tokens", "cache_creation_tokens"), 0
            )
            m["cache_read_tokens"] = 0
        m["responses"] += 1
        m["input_tokens"] += inp
        m["output_tokens"] += out
        m["cache_creation_tokens"] += c5 + c1
        m["cache_read_tokens"] += cr

    def merge(self, other: Expected) -> None:
        """Add another set of totals (e.g. appended responses) into this one."""
        for name in (
            "responses",
            "input_tokens",
            "output_tokens",
            "cache_creation_tokens",
            "cache_read_tokens",
            "cache_5m_tokens",
            "cache_1h_tokens",
            "synthetic_responses",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for model, m in other.by_model.items():
            mine = self.by_model.setdefault(model, dict.fromkeys(m, 0))
            for k, v in m.items():
                mine[k] = mine.get(k, 0) + v
        self.reset_notices.extend(other.reset_notices)

    def totals(self) -> dict[str, int]:
        """The five headline figures, named like the engine's JSON `totals`."""
        return {
            "responses": self.responses,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_tokens": self.cache_creation_tokens,
            "cache_read_tokens": self.cache_read_tokens,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what expected.json holds)."""
        return {
            **self.totals(),
            "cache_5m_tokens": self.cache_5m_tokens,
            "cache_1h_tokens": self.cache_1h_tokens,
            "synthetic_responses": self.synthetic_responses,
            "by_model": self.by_model,
            "reset_notices": self.reset_notices,
            "stats": self.stats,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Expected:
        """Inverse of `to_dict`."""
        return cls(
            **{k: d.get(k, 0) for k in cls().totals()},
            cache_5m_tokens=d.get("cache_5m_tokens", 0),
            cache_1h_tokens=d.get("cache_1h_tokens", 0),
            synthetic_responses=d.get("synthetic_responses", 0),
            by_model=d.get("by_model", {}),
            reset_notices=d.get("reset_notices", []),
            stats=d.get("stats", {}),
        )


def _esc(text: str) -> bytes:
    """JSON string body (no quotes) of text, UTF-8."""
    return orjson.dumps(text)[1:-1]


class _Pools:
    """Pre-rendered, JSON-escaped text so lines are assembled by byte formatting only."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.big = [self._chunk(self._big_len()) for _ in range(700)]
        usage_chunks = [self._chunk(self._big_len(), usage=True) for _ in range(40)]
        self.usage_big = usage_chunks
        self.small = [self._chunk(rng.randint(30, 450)) for _ in range(300)]
        self.prompts = [_esc(self._prose(rng.randint(60, 900))) for _ in range(120)]
        self.sigs = [base64.b64encode(rng.randbytes(rng.randint(90, 220))) for _ in range(60)]
        self.tool_inputs = [self._tool_input() for _ in range(400)]

    def _big_len(self) -> int:
        r = self.rng.random()
        if r < 0.1:
            return self.rng.randint(300, 900)
        if r < 0.3:
            return self.rng.randint(900, 1700)
        return self.rng.randint(1700, 2200)

    def _prose(self, n: int) -> str:
        rng, words = self.rng, _WORDS
        out: list[str] = []
        size = 0
        while size < n:
            w = rng.choice(words)
            out.append(w)
            size += len(w) + 1
        return " ".join(out).capitalize() + "."

    def _line(self) -> str:
        rng = self.rng
        r = rng.random()
        a, b, c = rng.choice(_IDENT), rng.choice(_IDENT), rng.choice(_IDENT)
        if r < 0.35:
            ind = " " * rng.choice((0, 4, 8, 12))
            return f"{ind}{a} = {b}_{c}({rng.choice(_IDENT)}, {rng.randint(0, 999)})"
        if r < 0.55:
            lvl = rng.choice(_LEVELS)
            return (
                f"2026-02-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:"
                f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} {lvl} {a}.{b}: "
                f'{c} "{rng.choice(_IDENT)}" in {rng.randint(1, 900)}ms'
            )
        if r < 0.7:
            return f"{rng.choice(_TREE)}{a}_{b}{rng.choice(_EXTS)}"
        if r < 0.85:
            return f"lib/{a}/{b}_{c}{rng.choice(_EXTS)}:{rng.randint(1, 999)}:{rng.randint(1, 80)}"
        return f"     │ {rng.randint(1, 999):4d} │ {a}({b}) -> {c} — café ✓"

    def _chunk(self, target: int, usage: bool = False) -> bytes:
        """One tool output of about `target` escaped bytes."""
        rng = self.rng
        parts: list[bytes] = []
        size = 0
        if usage:
            fake = {
                "id": "msg_01FAKE" + base64.b32encode(rng.randbytes(10)).decode(),
                "type": "message",
                "usage": {
                    "input_tokens": rng.randint(1, 99999),
                    "output_tokens": rng.randint(1, 99999),
                    "cache_read_input_tokens": rng.randint(0, 999999),
                },
            }
            line = json.dumps(fake)  # `"usage":` inside a string -> `\"usage\":` in the line
            parts.append(_esc(line + "\n"))
            size = len(parts[0])
        while size < target:
            piece = _esc(self._line() + "\n")
            if size + len(piece) > target and parts:
                break
            parts.append(piece)
            size += len(piece)
        return b"".join(parts)

    def _tool_input(self) -> tuple[bytes, bytes]:
        rng = self.rng
        name = rng.choice(_TOOLS)
        a, b = rng.choice(_IDENT), rng.choice(_IDENT)
        path = f"/home/dev/projects/{a}/{b}_{rng.choice(_IDENT)}{rng.choice(_EXTS)}"
        inp: dict[str, Any]
        if name == "Bash":
            inp = {"command": f"pytest -q tests/{a} -k {b}", "description": f"Run {a} tests"}
        elif name == "Read":
            inp = {"file_path": path}
        elif name == "Grep":
            inp = {"pattern": f"def {a}_{b}", "path": f"/home/dev/projects/{a}"}
        elif name == "Glob":
            inp = {"pattern": f"**/*{rng.choice(_EXTS)}"}
        elif name == "Edit":
            inp = {"file_path": path, "old_string": self._line(), "new_string": self._line()}
        else:
            inp = {"file_path": path, "content": "\n".join(self._line() for _ in range(6))}
        return name.encode(), orjson.dumps(inp)


class _Writer:
    """Writes files on background threads (os.writev releases the GIL) while lines are made."""

    def __init__(self, threads: int = 2) -> None:
        self.q: queue.Queue[tuple[Path, list[bytes]] | None] = queue.Queue(maxsize=64)
        self.error: BaseException | None = None
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def put(self, path: Path, lines: list[bytes]) -> None:
        """Queue one whole file."""
        if self.error:
            raise self.error
        self.q.put((path, lines))

    def close(self) -> None:
        """Wait until everything is on disk."""
        for _ in self.threads:
            self.q.put(None)
        for t in self.threads:
            t.join()
        if self.error:
            raise self.error

    def _run(self) -> None:
        while (item := self.q.get()) is not None:
            if self.error:
                continue
            try:
                write_lines(*item)
            except BaseException as e:  # reported by put/close
                self.error = e


def write_lines(path: Path, lines: list[bytes], mode: int = os.O_TRUNC) -> int:
    """Write (or with mode=os.O_APPEND append) lines to path with writev; return bytes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | mode, 0o644)
    total = 0
    try:
        for k in range(0, len(lines), 1024):  # IOV_MAX
            part = lines[k : k + 1024]
            want = sum(map(len, part))
            done = os.writev(fd, part)  # no join: the GIL is released for the whole copy
            if done < want:  # a short write: finish it the plain way
                rest = memoryview(b"".join(part))[done:]
                while rest:
                    rest = rest[os.write(fd, rest) :]
            total += want
    finally:
        os.close(fd)
    return total


class _Clock:
    """Simulated wall clock (ms) walking through work periods: bursts, lunch, nights off."""

    def __init__(
        self, rng: random.Random, periods: list[tuple[int, int]], ms_per_byte: float
    ) -> None:
        self.periods = periods
        self.i = 0
        self.t = periods[0][0]
        self.ms_per_byte = ms_per_byte
        self.bytes = 0  # bytes of new lines so far (copied lines take no time)
        self.seen = 0
        self.rng = rng

    @classmethod
    def work_days(
        cls, rng: random.Random, end_ms: int, target_bytes: int, n_sessions: int
    ) -> _Clock:
        """~25 days of work periods ending before end_ms, paced to fill them with the data."""
        start_day = (end_ms - SPAN_DAYS * DAY_MS) // DAY_MS * DAY_MS
        periods: list[tuple[int, int]] = []
        for d in range(SPAN_DAYS + 1):
            day = start_day + d * DAY_MS
            weekend = d % 7 in (5, 6)
            if rng.random() < (0.7 if weekend else 0.1):
                continue
            s = day + int(rng.uniform(7.5, 10) * HOUR_MS)
            e = s + int(rng.uniform(2.5, 4) * HOUR_MS)
            periods.append((s, e))
            s = e + int(rng.uniform(0.6, 1.5) * HOUR_MS)
            e = s + int(rng.uniform(2.5, 4.5) * HOUR_MS)
            periods.append((s, e))
            if rng.random() < 0.35:
                s = day + int(rng.uniform(20, 21.5) * HOUR_MS)
                e = s + int(rng.uniform(0.7, 2.3) * HOUR_MS)
                periods.append((s, e))
        periods = [(s, min(e, end_ms)) for s, e in periods if s < end_ms - HOUR_MS]
        total = sum(e - s for s, e in periods)
        work = max(total - n_sessions * SESSION_GAP_MS, total // 10)
        return cls(rng, periods, work / max(target_bytes, 1) * 0.97)

    @classmethod
    def live(cls, rng: random.Random, start_ms: int) -> _Clock:
        """An open-ended clock from start_ms, ~1 s per 500 bytes (a brisk live session)."""
        return cls(rng, [(start_ms, start_ms + 3650 * DAY_MS)], 2.0)

    def advance(self) -> int:
        """Move on by the time the bytes made since the last call took; return the new time."""
        nbytes = self.bytes - self.seen
        self.seen = self.bytes
        self.t += int(nbytes * self.ms_per_byte * self.rng.uniform(0.3, 1.7)) + 50
        while self.t >= self.periods[self.i][1]:
            if self.i + 1 >= len(self.periods):
                self.t = self.periods[self.i][1] - 1
                break
            over = self.t - self.periods[self.i][1]
            self.i += 1
            self.t = self.periods[self.i][0] + min(over, 60_000)
        return self.t

    def pause(self) -> None:
        """A break between two sessions (the next one may start in the next period)."""
        self.t += int(self.rng.uniform(0.1, 1.9) * SESSION_GAP_MS)
        self.advance()


_DAY_PREFIX: dict[int, bytes] = {}


def ts_bytes(ms: int) -> bytes:
    """Epoch ms to Claude Code's timestamp text, e.g. b'2026-02-12T16:02:27.718Z'."""
    day, rem = divmod(ms, DAY_MS)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400)).encode()
    minute, sec_ms = divmod(rem, 60_000)
    return prefix + _HH_MM[minute] + _SS_MMM[sec_ms]


_HH_MM = [b"%02d:%02d:" % divmod(m, 60) for m in range(1440)]
_SS_MMM = [b"%02d.%03dZ" % divmod(x, 1000) for x in range(60_000)]


# ---- line templates (key order as Claude Code writes them) --------------------------------

T_USER_PROMPT = (
    b'{"parentUuid":%s,%s,"type":"user","message":{"role":"user","content":"%s"},'
    b'"uuid":"%s","timestamp":"%s"%s}\n'
)
T_TOOL_RESULT = (
    b'{"parentUuid":"%s",%s,"type":"user","message":{"role":"user","content":[{"tool_use_id":'
    b'"%s","type":"tool_result","content":"%s","is_error":false}]},"uuid":"%s","timestamp":"%s",'
    b'"toolUseResult":{"stdout":"%s","stderr":"","interrupted":false,"isImage":false,'
    b'"noOutputExpected":false},"sourceToolAssistantUUID":"%s"}\n'
)
T_MSG = (
    b'{"model":"%s","id":"%s","type":"message","role":"assistant","content":[%s],'
    b'"stop_reason":%s,"stop_sequence":null,"usage":%s%s}'
)
T_ASSISTANT = (
    b'{"parentUuid":"%s",%s,"message":%s,"requestId":"%s","type":"assistant","uuid":"%s",'
    b'"timestamp":"%s"}\n'
)
T_AGENT_PROGRESS = (
    b'{"parentUuid":"%s",%s,"type":"progress","data":{"message":{"type":"assistant",'
    b'"timestamp":"%s","message":%s,"requestId":"%s","uuid":"%s"},"normalizedMessages":[],'
    b'"type":"agent_progress","prompt":"%s","agentId":"%s"},"toolUseID":"agent_%s",'
    b'"parentToolUseID":"%s","uuid":"%s","timestamp":"%s"}\n'
)
T_AGENT_PROGRESS_USER = (
    b'{"parentUuid":"%s",%s,"type":"progress","data":{"message":{"type":"user","message":'
    b'{"role":"user","content":[{"tool_use_id":"%s","type":"tool_result","content":"%s"}]},'
    b'"uuid":"%s","timestamp":"%s"},"normalizedMessages":[],"type":"agent_progress",'
    b'"prompt":"%s","agentId":"%s"},"toolUseID":"agent_%s","parentToolUseID":"%s",'
    b'"uuid":"%s","timestamp":"%s"}\n'
)
T_HOOK = (
    b'{"parentUuid":"%s",%s,"type":"progress","data":{"type":"hook_progress","hookEvent":"%s",'
    b'"hookName":"%s","command":"%s"},"parentToolUseID":"%s","toolUseID":"%s",'
    b'"timestamp":"%s","uuid":"%s"}\n'
)
T_SNAPSHOT = (
    b'{"type":"file-history-snapshot","messageId":"%s","snapshot":{"messageId":"%s",'
    b'"trackedFileBackups":{},"timestamp":"%s"},"isSnapshotUpdate":false}\n'
)
T_SUMMARY = b'{"type":"summary","summary":"%s","leafUuid":"%s"}\n'
T_STOP_HOOK = (
    b'{"parentUuid":"%s",%s,"type":"system","subtype":"stop_hook_summary","hookCount":1,'
    b'"hookInfos":[{"command":"%s"}],"hookErrors":[],"preventedContinuation":false,'
    b'"stopReason":"","hasOutput":false,"level":"suggestion","timestamp":"%s","uuid":"%s",'
    b'"toolUseID":"%s"}\n'
)
T_COMPACT = (
    b'{"parentUuid":null,"logicalParentUuid":"%s",%s,"type":"system","subtype":'
    b'"compact_boundary","content":"Conversation compacted","isMeta":false,"timestamp":"%s",'
    b'"uuid":"%s","level":"info","compactMetadata":{"trigger":"auto","preTokens":%d}}\n'
)
T_SYNTHETIC = (
    b'{"parentUuid":"%s",%s,"type":"assistant","uuid":"%s","timestamp":"%s","message":'
    b'{"id":"%s","container":null,"model":"<synthetic>","role":"assistant","stop_reason":'
    b'"stop_sequence","stop_sequence":"","type":"message","usage":{"input_tokens":0,'
    b'"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,'
    b'"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":null,'
    b'"cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0}},'
    b'"content":[{"type":"text","text":"%s"}],"context_management":null},'
    b'"isApiErrorMessage":true%s}\n'
)
U_BREAKDOWN = (
    b'{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,'
    b'"cache_creation":{"ephemeral_5m_input_tokens":%d,"ephemeral_1h_input_tokens":%d},'
    b'"output_tokens":'
)
U_PLAIN = b'{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,'
U_PLAIN_OUT = b'"output_tokens":'
U_TAIL_NEW = b'%d,"service_tier":"standard","inference_geo":"not_available"}'
U_TAIL_OLD = b'%d,"service_tier":"standard"}'


@dataclass
class _Conv:
    """One writer of lines: a main session file or a subagent, with its context state."""

    head: bytes  # the shared fields, e.g. '"isSidechain":false,...,"gitBranch":"main"'
    lines: list[bytes]
    model: bytes
    ttl_1h: bool
    breakdown: bool
    parent: bytes = b""
    context: int = 0  # tokens in the conversation (cache read of the next response)
    pending: int = 0  # tokens added since the last response (its cache write)
    size: int = 0
    last_ms: int = 0
    clock: _Clock | None = None

    def put(self, line: bytes, ms: int) -> None:
        """Append one line."""
        self.lines.append(line)
        self.size += len(line)
        if self.clock is not None:
            self.clock.bytes += len(line)
        if ms > self.last_ms:
            self.last_ms = ms


@dataclass
class _Session:
    """A generated main session file and the subagent files that belong to it."""

    sid: bytes
    project: int
    layout: str
    path: Path
    main: _Conv
    version: bytes
    files: dict[Path, _Conv] = field(default_factory=dict)
    min_mtime_ms: int = 0


class Generator:
    """Deterministic generator of one data dir; `run()` writes it and returns the totals."""

    def __init__(
        self,
        seed: int = 1,
        size_mb: float = 100.0,
        end: float | None = None,
        *,
        live_from: float | None = None,
        key: str = "",
    ) -> None:
        """Plan `size_mb` MiB ending at `end`, or (live_from) lines from that time on."""
        self.rng = random.Random(key or seed)
        self.r = self.rng.random
        self.seed = seed
        self.target = int(size_mb * MiB)
        end_s = parse_ts(DEFAULT_END) if end is None else end
        self.end_ms = int(end_s * 1000)
        self.pools = _get_pools(seed)
        self.n_sessions = max(8, round(4 * math.sqrt(self.target / MiB)))
        if live_from is None:
            self.clock = _Clock.work_days(self.rng, self.end_ms, self.target, self.n_sessions)
        else:
            self.clock = _Clock.live(self.rng, int(live_from * 1000))
        self.exp = Expected()
        self.written = 0
        self.st: dict[str, int] = {}
        self.sessions: list[_Session] = []

    # ---- randomness (fast paths; `random.Random.randint` is slow in hot loops) -------------

    def ri(self, a: int, b: int) -> int:
        """Uniform int in [a, b]."""
        return a + int(self.r() * (b - a + 1))

    def rn(self, n: int) -> int:
        """Uniform int in [0, n)."""
        return int(self.r() * n)

    # ---- ids ------------------------------------------------------------------------------

    def uuid(self) -> bytes:
        """A random v4-shaped uuid."""
        h = b"%032x" % self.rng.getrandbits(128)
        return b"%s-%s-4%s-a%s-%s" % (h[:8], h[8:12], h[13:16], h[17:20], h[20:])

    def _b62(self, n: int) -> bytes:
        return binascii.b2a_base64(self.rng.randbytes(n), newline=False).translate(_B62)

    def msg_id(self) -> bytes:
        """A `msg_01…` id."""
        return b"msg_01" + self._b62(16)[:22]

    def req_id(self) -> bytes:
        """A `req_011C…` id."""
        return b"req_011C" + self._b62(16)[:20]

    def toolu(self) -> bytes:
        """A `toolu_01…` id."""
        return b"toolu_01" + self._b62(16)[:22]

    def _count(self, name: str, n: int = 1) -> None:
        self.st[name] = self.st.get(name, 0) + n

    # ---- lines ----------------------------------------------------------------------------

    def user_prompt(self, c: _Conv, text: bytes, extra: bytes = b"") -> None:
        """A typed user prompt (or a subagent's task prompt)."""
        u = self.uuid()
        ms = self.clock.advance()
        parent = b'"%s"' % c.parent if c.parent else b"null"
        c.put(T_USER_PROMPT % (parent, c.head, text, u, ts_bytes(ms), extra), ms)
        c.parent = u
        c.pending += len(text) // 4 + 5

    def tool_result(self, c: _Conv, tool_id: bytes, chunk: bytes | None = None) -> bytes:
        """A tool result; most of the bytes of a transcript are these."""
        p = self.pools
        if chunk is None:
            chunk = p.usage_big[self.rn(40)] if self.r() < 0.03 else (p.big[self.rn(700)])
        u = self.uuid()
        ms = self.clock.advance()
        line = T_TOOL_RESULT % (c.parent, c.head, tool_id, chunk, u, ts_bytes(ms), chunk, c.parent)
        c.put(line, ms)
        c.parent = u
        c.pending += len(chunk) // 4 + 20
        return chunk

    def response(
        self,
        c: _Conv,
        kinds: tuple[str, ...],
        *,
        tool: tuple[bytes, bytes] | None = None,
        write: bool = True,
        out_final: int | None = None,
    ) -> tuple[list[tuple[bytes, bytes, bytes, bytes]], list[bytes]]:
        """One API response as 1 line per content block; returns the lines' message objects.

        Each item is (message object, requestId, uuid, timestamp); the second value lists the
        tool_use ids. Registers the response once in the expected totals.
        """
        r = self.r
        p = self.pools
        inp = 1 + int(r() * 12) if r() > 0.06 else 200 + int(r() * 3800)
        cw = max(c.pending, 30) + int(r() * 40)
        cr = c.context
        if cr == 0 and r() < 0.7:
            cr = 11_000 + int(r() * 5000)  # system prompt cached across sessions
        c.context = cr + cw + inp
        c.pending = 0
        c5, c1 = (0, cw) if c.ttl_1h else (cw, 0)
        if c.breakdown:
            ubase = U_BREAKDOWN % (inp, cw, cr, c5, c1)
            tail = U_TAIL_NEW
        else:
            ubase = (U_PLAIN % (inp, cw, cr)) + U_PLAIN_OUT
            tail = U_TAIL_OLD
        if out_final is None:
            out_final = 0
            for k in kinds:
                lo, width = OUT_RANGE[k]
                out_final += lo + int(r() * width)
        n = len(kinds)
        ph = 1 + int(r() * 12)
        outs = []
        for _ in range(n - 1):
            outs.append(ph)
            if r() < 0.5:
                ph = min(30, ph + 1 + int(r() * 10))
        out_final = max(out_final, (outs[-1] if outs else 0) + 1)
        outs.append(out_final)
        c.pending += out_final
        mid = self.msg_id()
        req = self.req_id()
        tool_ids: list[bytes] = []
        items: list[tuple[bytes, bytes, bytes, bytes]] = []
        extra = b',"context_management":null' if c.breakdown and r() < 0.3 else b""
        clock = self.clock
        for i, k in enumerate(kinds):
            if k == "thinking":
                block = B_THINKING % (p.small[int(r() * 300)], p.sigs[int(r() * 60)])
            elif k == "text":
                block = B_TEXT % p.small[int(r() * 300)]
            else:
                name, tinp = tool or p.tool_inputs[int(r() * 400)]
                tool_id = self.toolu()
                tool_ids.append(tool_id)
                block = B_TOOL_USE % (tool_id, name, tinp)
            stop = b"null"
            if i == n - 1:
                stop = b'"tool_use"' if k == "tool_use" else b'"end_turn"'
            msg = T_MSG % (c.model, mid, block, stop, ubase + tail % outs[i], extra)
            u = self.uuid()
            if i == 0:
                ms = clock.advance()
            else:
                ms = clock.t = clock.t + 5 + int(r() * 900)
            ts = ts_bytes(ms)
            if write:
                c.put(T_ASSISTANT % (c.parent, c.head, msg, req, u, ts), ms)
            elif ms > c.last_ms:
                c.last_ms = ms
            c.parent = u
            items.append((msg, req, u, ts))
        self.exp.add(c.model.decode(), inp, out_final, c5, c1, cr)
        return items, tool_ids

    def hook(self, c: _Conv, event: bytes, tool_use: bytes) -> None:
        """A hook_progress line."""
        u = self.uuid()
        ms = self.clock.advance()
        cmd = _HOOKS[self.rn(len(_HOOKS))].encode()
        name = b"%s:%s" % (event, b"startup" if event == b"SessionStart" else b"Bash")
        c.put(
            T_HOOK % (c.parent, c.head, event, name, cmd, tool_use, tool_use, ts_bytes(ms), u), ms
        )
        c.parent = u

    def snapshot(self, c: _Conv) -> None:
        """A file-history-snapshot line (no top-level timestamp)."""
        u = self.uuid()
        c.put(T_SNAPSHOT % (u, u, ts_bytes(self.clock.t)), 0)
        self._count("snapshot_lines")

    def summary(self, c: _Conv) -> None:
        """A summary line (no timestamp)."""
        c.put(T_SUMMARY % (self.pools.prompts[self.rn(120)][:80], self.uuid()), 0)
        self._count("summary_lines")

    def synthetic(self, c: _Conv, limit: bool | None = None) -> None:
        """A `<synthetic>` API-error line; some carry a usage-limit reset time."""
        u = self.uuid()
        ms = self.clock.advance()
        if limit or (limit is None and self.r() < 0.6):
            reset = (ms // HOUR_MS + self.ri(1, 4)) * HOUR_MS // 1000
            text = b"Claude AI usage limit reached|%d" % reset
            self.exp.reset_notices.append([ms / 1000, float(reset)])
        else:
            text = API_ERROR
        c.put(T_SYNTHETIC % (c.parent, c.head, u, ts_bytes(ms), self.uuid(), text, b""), ms)
        c.parent = u
        self.exp.synthetic_responses += 1
        self._count("synthetic_lines")

    def malformed(self, c: _Conv, kind: int) -> None:
        """A broken line: truncated JSON, invalid UTF-8 or blank; none holds a winning copy."""
        if kind == 0:  # a truncated copy of the previous line (which stays complete)
            line = c.lines[-1] if c.lines else b'{"type":"user"'
            cut = max(10, len(line) // 2)
            while line[cut] & 0xC0 == 0x80:  # cut between characters: truncated, still UTF-8
                cut -= 1
            c.put(line[:cut] + b"\n", 0)
            self._count("malformed_truncated")
        elif kind == 1:
            line = T_TOOL_RESULT % (
                c.parent, c.head, self.toolu(), b"bad \xff\xfe\xc3 bytes", self.uuid(),
                ts_bytes(self.clock.t), b"\xff", c.parent,
            )  # fmt: skip
            c.put(line, 0)
            self._count("malformed_non_utf8")
        else:
            c.put(b"\n", 0)
            self._count("blank_lines")

    # ---- sessions -------------------------------------------------------------------------

    def _head(self, sid: bytes, project: int, version: bytes, side: bool, agent: bytes) -> bytes:
        cwd, branch = PROJECTS[project]
        h = b'"isSidechain":%s,"userType":"external","cwd":"%s","sessionId":"%s",' % (
            b"true" if side else b"false",
            cwd.encode(),
            sid,
        )
        h += b'"version":"%s","gitBranch":"%s"' % (version, branch.encode())
        if agent:
            h += b',"agentId":"%s"' % agent
        return h

    def _new_session(self, root: Path, layout: str, project: int) -> _Session:
        rng = self.rng
        sid = self.uuid()
        version = rng.choice(VERSIONS[layout])
        if layout == "v21":
            model = OPUS if not self.sessions or self.r() < 0.75 else SONNET
        else:
            model = SONNET if len(self.sessions) == 1 or self.r() < 0.8 else OPUS
        main = _Conv(
            head=self._head(sid, project, version, False, b""),
            lines=[],
            model=model.encode(),
            ttl_1h=layout == "v21" and (not self.sessions or self.r() < 0.8),
            breakdown=layout != "v1",
            clock=self.clock,
        )
        pdir = root / "projects" / encode_cwd(PROJECTS[project][0])
        s = _Session(sid, project, layout, pdir / (sid.decode() + ".jsonl"), main, version)
        s.files[s.path] = main
        return s

    def subagent(self, s: _Session, force: str = "") -> None:
        """A Task tool call and its subagent, written in the session's layout."""
        rng = self.rng
        c = s.main
        prompt = self.pools.prompts[self.rn(120)]
        tinp = b'{"description":"Explore code","prompt":"%s","subagent_type":"Explore"}' % prompt
        items, tids = self.response(c, ("text", "tool_use"), tool=(b"Task", tinp))
        task_id = tids[0]
        task_msg = items[0][0][items[0][0].index(b'"id":"') + 6 :][:28]
        agent = (
            b"a%06x" % rng.getrandbits(24)
            if s.layout != "v20_flat"
            else b"%08x" % (rng.getrandbits(32))
        )
        first = not self.sessions and "subagents_file" not in self.st
        model = (HAIKU if first or self.r() < 0.5 else SONNET).encode()
        version = s.version
        inline = s.layout in ("v20_inline", "v1")
        sub = _Conv(
            head=self._head(s.sid, s.project, version, True, b"" if inline else agent),
            lines=c.lines if inline else [],
            model=model,
            ttl_1h=False,
            breakdown=c.breakdown,
            clock=self.clock,
        )
        if s.layout == "v21":
            path = s.path.with_suffix("") / "subagents" / ("agent-" + agent.decode() + ".jsonl")
            file_mode = force or ("progress_only" if self.r() < 0.3 else "file")
        elif s.layout == "v20_flat":
            path = s.path.parent / ("agent-" + agent.decode() + ".jsonl")
            file_mode = "file"
        else:
            path = s.path
            file_mode = "inline"
        self._count("subagents_" + file_mode)
        first_inline = len(c.lines)
        self.user_prompt(sub, prompt)
        steps = self.ri(2, 9)
        for j in range(steps):
            final = j == steps - 1
            kinds = ("text",) if final else rng.choice((("tool_use",), ("text", "tool_use")))
            only_progress = file_mode == "progress_only" or (
                file_mode == "file" and (self.r() < 0.1 or (force == "file" and j == 0))
            )
            items, tids = self.response(sub, kinds, write=not only_progress)
            if file_mode in ("file", "progress_only"):
                if only_progress:
                    self._count("progress_only_responses")
                for msg, req, u, ts in items:
                    if only_progress or self.r() < 0.6:
                        self._agent_progress(c, msg, req, u, ts, prompt, agent, task_msg, task_id)
            for tid in tids:
                chunk = self.tool_result(sub, tid)
                if file_mode != "inline" and s.layout == "v21" and self.r() < 0.4:
                    self._agent_progress_user(c, tid, chunk, prompt, agent, task_msg, task_id)
        if inline:
            c.parent = sub.parent
            c.size += sub.size
            c.last_ms = max(c.last_ms, sub.last_ms)
            self._count("inline_sidechain_lines", len(c.lines) - first_inline)
        elif sub.lines:
            s.files[path] = sub
        self.tool_result(c, task_id, self.pools.small[self.rn(300)])

    def _agent_progress(
        self,
        c: _Conv,
        msg: bytes,
        req: bytes,
        u: bytes,
        ts: bytes,
        prompt: bytes,
        agent: bytes,
        task_msg: bytes,
        task_id: bytes,
    ) -> None:
        pu = self.uuid()
        ms = max(self.clock.t, c.last_ms)
        line = T_AGENT_PROGRESS % (
            c.parent, c.head, ts, msg, req, u, prompt, agent, task_msg, task_id, pu, ts_bytes(ms),
        )  # fmt: skip
        c.put(line, ms)
        c.parent = pu
        self._count("agent_progress_lines")

    def _agent_progress_user(
        self,
        c: _Conv,
        tid: bytes,
        chunk: bytes,
        prompt: bytes,
        agent: bytes,
        task_msg: bytes,
        task_id: bytes,
    ) -> None:
        pu = self.uuid()
        ts = ts_bytes(self.clock.t)
        line = T_AGENT_PROGRESS_USER % (
            c.parent, c.head, tid, chunk, self.uuid(), ts, prompt, agent, task_msg, task_id, pu,
            ts,
        )  # fmt: skip
        c.put(line, self.clock.t)
        c.parent = pu

    def compact(self, s: _Session) -> None:
        """Auto-compaction: a billed summary request (acompact agent in 2.1) and a fresh context."""
        rng = self.rng
        c = s.main
        pre = c.context
        if s.layout == "v21":
            agent = b"acompact-%06x" % rng.getrandbits(24)
            sub = _Conv(
                head=self._head(s.sid, s.project, s.version, True, agent),
                lines=[],
                model=c.model,
                ttl_1h=c.ttl_1h,
                breakdown=True,
                parent=c.parent,
                context=pre,
                clock=self.clock,
            )
            self.user_prompt(sub, b"Your task is to create a detailed summary of the conversation.")
            self.response(sub, ("text",), out_final=self.ri(2500, 9000))
            path = s.path.with_suffix("") / "subagents" / ("agent-" + agent.decode() + ".jsonl")
            s.files[path] = sub
            self._count("acompact_files")
            u = self.uuid()
            c.put(T_COMPACT % (c.parent, c.head, ts_bytes(self.clock.t), u, pre), self.clock.t)
            c.parent = u
        else:
            self.response(c, ("text",), out_final=self.ri(2500, 9000))
        c.context = self.ri(11_000, 16_000)
        c.pending = 0
        text = (
            b"This session is being continued from a previous conversation. "
            + (self.pools.small[self.rn(300)])
        )
        self.user_prompt(c, text, b',"isCompactSummary":true')
        self._count("compactions")

    def turn(self, s: _Session, budget: int, force_sub: bool = False) -> None:
        """A user prompt, a run of tool-using responses, a final answer."""
        rng = self.rng
        c = s.main
        v21 = s.layout == "v21"
        if s.layout != "v1":
            self.snapshot(c)
        self.user_prompt(c, self.pools.prompts[self.rn(120)])
        steps = self.ri(1, 14)
        for j in range(steps):
            if (force_sub and j == 0) or self.r() < 0.05:
                self.subagent(s, "file" if force_sub else "")
                force_sub = False
                continue
            kinds = STEP_KINDS[self.rn(len(STEP_KINDS))]
            items, tids = self.response(c, kinds)
            tid = tids[0]
            if self.r() < 0.004:
                self.malformed(c, 0)
            # Real 2.1 transcripts are mostly hook_progress lines (53 % of the lines of the
            # spotter fixtures, ~6 per response) and large tool results: keep that mix so
            # usage lines are ~20 % of lines, as in real data, not most of them.
            for _ in range(self.ri(2, 5) if v21 else self.ri(0, 2)):
                self.hook(c, b"PreToolUse", tid)
            for tid in tids:
                self.tool_result(c, tid)
            for _ in range(self.ri(2, 5) if v21 else self.ri(0, 2)):
                self.hook(c, b"PostToolUse", tid)
            if self.r() < 0.002:
                self.malformed(c, 1 + self.rn(2))
            if c.context > 165_000:
                self.compact(s)
            if j % 4 == 3 and sum(f.size for f in s.files.values()) >= budget:
                break
        kinds = rng.choice((("text",), ("thinking", "text")))
        items, _ = self.response(c, kinds)
        if self.r() < 0.01:
            self.btw_replay(c, items)
        if self.r() < 0.008:
            self.synthetic(c)
        if v21:
            u = self.uuid()
            ms = self.clock.advance()
            cmd = _HOOKS[0].encode()
            c.put(T_STOP_HOOK % (c.parent, c.head, cmd, ts_bytes(ms), u, self.uuid()), ms)
            c.parent = u

    def btw_replay(self, c: _Conv, items: list[tuple[bytes, bytes, bytes, bytes]]) -> None:
        """A `/btw` side question replay: reuses the message.id with a new requestId."""
        msg = items[0][0]  # the first (placeholder) copy: never the winner
        u = self.uuid()
        ms = self.clock.advance()
        c.put(T_ASSISTANT % (c.parent, c.head, msg, self.req_id(), u, ts_bytes(ms)), ms)
        c.parent = u
        self._count("btw_replays")

    def resume_from(self, s: _Session, src: _Session, max_bytes: int) -> None:
        """Copy earlier lines of `src` (ids and usage intact) to the start of a new file."""
        lines = src.main.lines
        cut = self.ri(max(1, len(lines) * 3 // 10), len(lines))
        size = 0
        for k in range(cut):
            size += len(lines[k])
            if size > max_bytes:
                cut = max(k, 1)
                break
        copied = lines[:cut]  # verbatim: the original sessionId, ids and usage
        c = s.main
        c.lines.extend(copied)
        c.size += sum(map(len, copied))
        c.parent = self.uuid()
        c.context = src.main.context
        s.min_mtime_ms = max(f.last_ms for f in src.files.values()) + 1000
        self._count("resumed_sessions")
        self._count("resumed_copied_lines", cut)

    def run(self, out_dir: Path) -> Expected:
        """Generate everything under out_dir; return (and write) the expected totals."""
        rng = self.rng
        root = Path(out_dir)
        weights = [rng.lognormvariate(0, 0.8) for _ in range(self.n_sessions)]
        wsum = sum(weights)
        budgets = [max(60_000, int(self.target * w / wsum)) for w in weights]
        mtimes: dict[Path, int] = {}
        self.writer = _Writer()
        switch = sys.getswitchinterval()
        sys.setswitchinterval(0.0005)  # hand the GIL to the writer thread quickly
        i = 0
        while self.written < self.target * 0.985:
            budget = budgets[i] if i < len(budgets) else 200_000
            if i < len(FIRST_SESSIONS):  # every layout early, whatever the size
                budget = min(budget, self.target // 6)
            budget = min(budget, int(self.target - self.written))
            src = None
            if i < len(FIRST_SESSIONS) and FIRST_SESSIONS[i] != "resume":
                layout = FIRST_SESSIONS[i]
                project = i % len(PROJECTS)
            elif i < len(FIRST_SESSIONS) or (self.r() < 0.12 and self.sessions):
                src = (
                    self.sessions[0] if i < len(FIRST_SESSIONS) else rng.choice(self.sessions[-4:])
                )
                layout, project = src.layout, src.project
            else:
                layout = rng.choices(LAYOUTS, LAYOUT_WEIGHTS)[0]
                project = self.rn(len(PROJECTS))
            s = self._new_session(root, layout, project)
            if i > 0:
                self.clock.pause()
            c = s.main
            if src is not None:
                self.resume_from(s, src, budget * 6 // 10)
            if layout in ("v20_inline", "v1") and (i < 5 or self.r() < 0.5):
                self.summary(c)
            if layout == "v21":
                self.hook(c, b"SessionStart", self.uuid())
            if i < len(
                FIRST_SESSIONS
            ):  # the first sessions show every layout and oddity at any size
                self.turn(s, budget, force_sub=True)
                if i == 0:
                    self.subagent(s, "progress_only")
                    self.compact(s)
                    for k in range(3):
                        self.malformed(c, k)
                    self.synthetic(c, limit=True)
                    self.synthetic(c, limit=False)
                    _, tids = self.response(c, ("text", "tool_use"))
                    self.tool_result(c, tids[0], self.pools.usage_big[0])
                    self.btw_replay(c, self.response(c, ("text", "text"))[0])
            while sum(f.size for f in s.files.values()) < budget:
                self.turn(s, budget)
            for path, conv in s.files.items():
                self._write(path, conv)
                mt = max(conv.last_ms, s.min_mtime_ms)
                mtimes[path] = max(mt, mtimes.get(path, 0))
            self.sessions.append(s)
            if len(self.sessions) > 6:
                for conv in self.sessions[-7].files.values():
                    conv.lines = []
            i += 1
        self.writer.close()
        sys.setswitchinterval(switch)
        for path, ms in mtimes.items():
            os.utime(path, (ms / 1000, ms / 1000))
        self.exp.stats = {
            "seed": self.seed,
            "bytes": self.written,
            "files": len(mtimes),
            "sessions": i,
            "first_timestamp": self.clock.periods[0][0] / 1000,
            "last_timestamp": self.clock.t / 1000,
            **self.st,
        }
        write_expected(root, self.exp)
        return self.exp

    def _write(self, path: Path, conv: _Conv) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.writer.put(path, conv.lines)
        self.written += conv.size


def write_expected(out_dir: Path, exp: Expected) -> None:
    """Write OUT_DIR/expected.json."""
    (Path(out_dir) / "expected.json").write_bytes(
        orjson.dumps(exp.to_dict(), option=orjson.OPT_INDENT_2)
    )


def read_expected(out_dir: Path) -> Expected:
    """Read OUT_DIR/expected.json."""
    return Expected.from_dict(orjson.loads((Path(out_dir) / "expected.json").read_bytes()))


def generate(
    out_dir: str | Path, size_mb: float = 100.0, seed: int = 1, end: float | None = None
) -> Expected:
    """Generate a data dir of about `size_mb` MiB; return the expected totals."""
    return Generator(seed=seed, size_mb=size_mb, end=end).run(Path(out_dir))


# ---- appending (live benchmarks) ----------------------------------------------------------


def last_context(path: Path) -> dict[str, Any]:
    """The fields of the last parseable main-conversation line of a session file."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 256 * 1024))
        tail = f.read()
    for raw in reversed(tail.split(b"\n")):
        try:
            d = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(d, dict) and d.get("sessionId") and d.get("uuid") and d.get("cwd"):
            return d
    raise ValueError(f"no session line found in {path}")


def append_responses(
    path: str | Path,
    count: int,
    *,
    seed: int = 0,
    start: float | None = None,
    model: str = OPUS,
) -> Expected:
    """Append `count` complete responses (tool result + streamed answer) to a session file.

    Timestamps start at `start` (default: now) and continue the conversation of the last
    line. Returns the totals the new responses add under docs/counting-rules.md.
    """
    path = Path(path)
    last = last_context(path)
    g = Generator(
        seed,
        live_from=time.time() if start is None else start,
        key=f"{seed}:{path}:{path.stat().st_size}",  # new ids on every call
    )
    head = b'"isSidechain":false,"userType":"external","cwd":%s,"sessionId":%s,' % (
        orjson.dumps(last["cwd"]),
        orjson.dumps(last["sessionId"]),
    )
    head += b'"version":%s,"gitBranch":%s' % (
        orjson.dumps(last.get("version", "2.1.39")),
        orjson.dumps(last.get("gitBranch", "main")),
    )
    c = _Conv(head=head, lines=[], model=model.encode(), ttl_1h=True, breakdown=True)
    c.clock = g.clock
    c.parent = str(last["uuid"]).encode()
    c.context = g.ri(20_000, 120_000)
    tids = [g.toolu()]
    for _ in range(count):
        for tid in tids:
            g.tool_result(c, tid)
        _, tids = g.response(c, STEP_KINDS[g.rn(len(STEP_KINDS))])
    write_lines(path, c.lines, os.O_APPEND)
    g.exp.stats = {"bytes": c.size}
    return g.exp


_POOLS: dict[int, _Pools] = {}


def _get_pools(seed: int) -> _Pools:
    pools = _POOLS.get(seed)
    if pools is None:
        pools = _POOLS[seed] = _Pools(random.Random(seed * 7919 + 17))
    return pools


def main_session_files(out_dir: str | Path) -> list[Path]:
    """Main session files (not subagent files) under OUT_DIR/projects, oldest first."""
    files = [
        p for p in (Path(out_dir) / "projects").glob("*/*.jsonl") if not p.name.startswith("agent-")
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def append(
    out_dir: str | Path,
    n_bytes: int,
    *,
    seed: int = 0,
    start: float | None = None,
    path: str | Path | None = None,
    update_expected: bool = True,
) -> Expected:
    """Append about `n_bytes` of complete new responses to the newest session file.

    Updates OUT_DIR/expected.json (unless told not to) and returns the added totals.
    """
    target = Path(path) if path else main_session_files(out_dir)[-1]
    added = Expected()
    written = 0
    t = time.time() if start is None else start
    while written < n_bytes:
        part = append_responses(target, 8, seed=seed, start=t)
        written += part.stats["bytes"]
        t += 8 * 20
        added.merge(part)
    added.stats = {"bytes": written, "file": str(target)}
    if update_expected:
        exp = read_expected(Path(out_dir))
        exp.merge(added)
        exp.stats["bytes"] = exp.stats.get("bytes", 0) + written
        exp.stats["appended_bytes"] = exp.stats.get("appended_bytes", 0) + written
        write_expected(Path(out_dir), exp)
    return added


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--size-mb", type=float, default=100.0, help="about this many MiB")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--end", default=DEFAULT_END, help="ISO time of the last activity, or 'now'")
    ap.add_argument("--append-bytes", type=int, default=0, help="append to an existing dir")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.append_bytes:
        exp = append(args.out_dir, args.append_bytes, seed=args.seed)
        nbytes = exp.stats["bytes"]
    else:
        end = time.time() // 3600 * 3600 if args.end == "now" else parse_ts(args.end)
        if (args.out_dir / "projects").exists():
            print(f"{args.out_dir}/projects exists; remove it first", file=sys.stderr)
            return 2
        exp = generate(args.out_dir, args.size_mb, args.seed, end)
        nbytes = exp.stats["bytes"]
    dt = time.perf_counter() - t0
    print(json.dumps(exp.totals()))
    print(f"{nbytes / MiB:.1f} MiB in {dt:.2f} s ({nbytes / MiB / max(dt, 1e-9):.0f} MiB/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
