"""Byte-mutation fuzzer: mutated transcript lines through the parser and every CLI command.

Usage: ``python -m scripts.fuzz_input [--lines 300000] [--cli-lines 300000] [--seed 1]``

Seeds are the real transcripts in the shared fixtures (``TOKEN_MONITOR_FIXTURES`` or
``../shared/fixtures/claude-code-real``) plus lines from ``gen_data.py``. Each mutated line
gets 1–3 of: bit flips, truncation, byte insertion/deletion, splicing two lines, huge or
odd numbers, deep nesting, invalid UTF-8, NULs, and JSON-aware value swaps (which reach
the parser's field checks that random bytes rarely do).

Stage 1 feeds every line to ``orjson`` + ``extract`` and checks the result's bounds, and to
the usual line's path (``adapters/usual_line.usual_row``), which must decline or read what
the full rules read.
Stage 2 writes the lines (``--cli-lines`` of them) into data dirs of a few files each and
runs status, blocks, sessions, daily, weekly, models, export (CSV and JSON) and doctor,
as tables and as JSON, with the ledger and with ``--no-ledger``. A crash is an exception,
an exit code 1, or a value outside the parser's bounds. Prints lines tried, crashes, time.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tray_app.adapters.usual_line import OVERFLOW, usual_row
from tray_app.cli.environment import Environment
from tray_app.cli.main import main as cli_main
from tray_app.usage.model import Entry, ResetNotice
from tray_app.usage.parse import EARLIEST, LATEST, MAX_COUNT, Rejected, extract

COMMANDS = ("status", "blocks", "sessions", "daily", "weekly", "models", "export", "doctor")
WEIRD_NUMBERS = (
    b"9223372036854775808", b"18446744073709551615", b"18446744073709551616",
    b"99999999999999999999999", b"-9223372036854775809", b"-1", b"0", b"1e30", b"1e308",
    b"1e400", b"-1e400", b"1.5", b"1e-300", b"0.0", b"-0", b"1099511627776", b"1E20",
)  # fmt: skip
WEIRD_VALUES: tuple[Any, ...] = (
    2**64 - 1, 2**63, -(2**63), 1 << 40, (1 << 40) - 1, -1, 0.5, 1e30, 1e308, 1e20, 0, True,
    None, "", "x" * 5000, "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z", "0001-01-01T00:00Z",
    "2026-02-30T00:00:00Z", "\u0000", "\x1b]0;pwn\x07", "msg_", [], {}, [[[[[]]]]],
    {"input_tokens": 2**63}, "<synthetic>",
)  # fmt: skip
BAD_UTF8 = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\x80")
SPECIAL = (b"\x00", b"\\u0000", b"\xef\xbb\xbf", b'"', b"{", b"}", b"[", b",", b":", b"\\", b"\n")
NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def fixtures_dir() -> Path:
    """The shared real transcripts (same lookup as the tests)."""
    import os

    for candidate in (
        os.environ.get("TOKEN_MONITOR_FIXTURES", ""),
        str(Path(__file__).resolve().parents[2] / "shared/fixtures/claude-code-real"),
        "/work/shared/fixtures/claude-code-real",
    ):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    raise SystemExit("fuzz_input: shared fixtures not found (set TOKEN_MONITOR_FIXTURES)")


def seed_lines(tmp: Path, seed: int) -> list[bytes]:
    """Real fixture lines, generated lines, and slimmed usage lines (content removed)."""
    from scripts import gen_data

    lines: list[bytes] = []
    for path in sorted(fixtures_dir().rglob("*.jsonl")):
        lines.extend(x for x in path.read_bytes().split(b"\n") if x.strip())
    gen_data.generate(tmp / "gen", size_mb=1.0, seed=seed)
    for path in sorted((tmp / "gen").rglob("*.jsonl")):
        lines.extend(x for x in path.read_bytes().split(b"\n") if x.strip())
    slim: list[bytes] = []
    for raw in lines:
        if b'"usage"' not in raw:
            continue
        obj = orjson.loads(raw)
        if isinstance(obj.get("message"), dict):
            obj["message"]["content"] = []
            slim.append(orjson.dumps(obj))
    return lines + slim * 3  # small usage lines make the mutations hit the counted fields


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every (container path, key) in a decoded line."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:8]):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


class Mutator:
    """Random byte- and value-level mutations of transcript lines."""

    def __init__(self, seeds: list[bytes], rng: random.Random) -> None:
        self.seeds = seeds
        self.rng = rng
        self.ops: list[Callable[[bytes], bytes]] = [
            self.bit_flip, self.truncate, self.insert, self.delete, self.splice,
            self.number, self.nest, self.bad_utf8, self.nul, self.json_value,
            self.json_value, self.json_value, self.usage_field,
        ]  # fmt: skip

    def pos(self, line: bytes) -> int:
        return self.rng.randrange(len(line) + 1)

    def bit_flip(self, line: bytes) -> bytes:
        b = bytearray(line or b"{")
        for _ in range(self.rng.randint(1, 4)):
            b[self.rng.randrange(len(b))] ^= 1 << self.rng.randrange(8)
        return bytes(b)

    def truncate(self, line: bytes) -> bytes:
        return line[: self.pos(line)]

    def insert(self, line: bytes) -> bytes:
        i = self.pos(line)
        if self.rng.random() < 0.5:
            extra = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 8)))
        else:
            extra = self.rng.choice(SPECIAL)
        return line[:i] + extra + line[i:]

    def delete(self, line: bytes) -> bytes:
        i = self.pos(line)
        return line[:i] + line[i + self.rng.randint(1, 32) :]

    def splice(self, line: bytes) -> bytes:
        other = self.rng.choice(self.seeds)
        return line[: self.pos(line)] + other[self.pos(other) :]

    def number(self, line: bytes) -> bytes:
        found = list(NUMBER.finditer(line))
        if not found:
            return self.insert(line)
        m = self.rng.choice(found)
        return line[: m.start()] + self.rng.choice(WEIRD_NUMBERS) + line[m.end() :]

    def nest(self, line: bytes) -> bytes:
        depth = self.rng.choice((10, 200, 1100, 5000))
        opener, closer = self.rng.choice(((b"[", b"]"), (b'{"a":', b"}")))
        deep = opener * depth + b"1" + closer * depth
        i = line.find(b":", self.pos(line))
        if i < 0:
            return deep
        return line[: i + 1] + deep + b"," + line[i + 1 :]

    def bad_utf8(self, line: bytes) -> bytes:
        i = self.pos(line)
        return line[:i] + self.rng.choice(BAD_UTF8) + line[i:]

    def nul(self, line: bytes) -> bytes:
        i = self.pos(line)
        return line[:i] + self.rng.choice((b"\x00", b"\\u0000", b"\x00" * 64)) + line[i:]

    def _set(self, obj: Any, path: tuple[Any, ...], value: Any, drop: bool) -> None:
        holder = obj
        for step in path[:-1]:
            holder = holder[step]
        if drop and isinstance(holder, dict):
            del holder[path[-1]]
        else:
            holder[path[-1]] = value

    def json_value(self, line: bytes) -> bytes:
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            return self.bit_flip(line)
        paths = list(_paths(obj))
        if not paths:
            return line
        self._set(
            obj, self.rng.choice(paths), self.rng.choice(WEIRD_VALUES), self.rng.random() < 0.15
        )
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)

    def usage_field(self, line: bytes) -> bytes:
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            return self.number(line)
        message = obj.get("message") if isinstance(obj, dict) else None
        usage = message.get("usage") if isinstance(message, dict) else None
        if not isinstance(usage, dict):
            return self.json_value(line)
        where = self.rng.choice(
            ("input_tokens", "output_tokens", "cache_read_input_tokens",
             "cache_creation_input_tokens", "cache_creation", "server_tool_use", "@timestamp",
             "@costUSD", "@id", "@requestId", "@uuid", "@model")
        )  # fmt: skip
        value = self.rng.choice(WEIRD_VALUES)
        if where in ("@id", "@model"):
            message[where[1:]] = value
        elif where.startswith("@"):
            obj[where[1:]] = value
        else:
            usage[where] = value
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)

    def mutate(self) -> bytes:
        line = self.rng.choice(self.seeds)
        for _ in range(self.rng.randint(1, 3)):
            line = self.rng.choice(self.ops)(line)
        return line


@dataclass
class Report:
    """What a run found."""

    parsed_lines: int = 0
    decoded: int = 0
    entries: int = 0
    rejected: int = 0
    usual: int = 0  # read by the usual line's path
    cli_lines: int = 0
    cli_runs: int = 0
    crashes: list[str] = field(default_factory=list)

    def crash(self, what: str) -> None:
        self.crashes.append(what)
        if len(self.crashes) <= 5:
            print(f"CRASH: {what[:2000]}", file=sys.stderr)


def check_line(line: bytes, report: Report) -> None:
    """Stage 1: one line through orjson and the parser, and through the usual line's path
    (which must read what the full rules read, or decline); out-of-bounds values and
    disagreements are crashes."""
    report.parsed_lines += 1
    try:
        row = usual_row(line)
    except Exception:
        report.crash(f"usual_row raised on {line[:300]!r}\n{traceback.format_exc()}")
        return
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        if row is not None and OVERFLOW not in str(exc):  # (the known difference)
            report.crash(f"usual_row read a malformed line {line[:300]!r}")
        return
    report.decoded += 1
    try:
        item = extract(obj)
    except Exception:
        report.crash(f"extract raised on {line[:300]!r}\n{traceback.format_exc()}")
        return
    if row is not None:
        report.usual += 1
        same = isinstance(item, Entry) and [(type(v), v) for v in row] == [
            (type(v), v) for v in item
        ]
        if not same:
            report.crash(f"usual_row read {row!r}, the full rules {item!r}, from {line[:300]!r}")
    if isinstance(item, Rejected):
        report.rejected += 1
    elif isinstance(item, Entry):
        report.entries += 1
        counts = (item.input_tokens, item.output_tokens, item.cache_read_tokens,
                  item.cache_1h_tokens, item.cache_5m_tokens, item.web_search_requests)  # fmt: skip
        ok = all(type(c) is int and 0 <= c < 2 * MAX_COUNT for c in counts)
        if not ok or not EARLIEST <= item.timestamp < LATEST:
            report.crash(f"out-of-bounds entry {item!r} from {line[:300]!r}")
    elif isinstance(item, ResetNotice) and not EARLIEST <= item.resets_at < LATEST:
        report.crash(f"out-of-bounds reset {item!r}")


def write_data(root: Path, lines: list[bytes], rng: random.Random) -> None:
    """Spread lines over a few session files (subagent layout too); one unterminated tail."""
    projects = root / "projects"
    files = [
        projects / "-home-u-a" / "s1.jsonl",
        projects / "-home-u-a" / "s2.jsonl",
        projects / "-home-u-b" / "s3.jsonl",
        projects / "-home-u-b" / "s3" / "subagents" / "agent-x.jsonl",
    ]
    chunks: list[list[bytes]] = [[] for _ in files]
    for line in lines:
        chunks[rng.randrange(len(files))].append(line)
    for path, chunk in zip(files, chunks, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        body = b"\n".join(chunk)
        path.write_bytes(body if rng.random() < 0.25 else body + b"\n")


def run_cli(args: list[str], tmp: Path, report: Report) -> None:
    """One in-process CLI run; exit 1 or an escaping exception is a crash."""
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        out,
        err,
        {"TOKEN_MONITOR_DB": str(tmp / "ledger" / "l.db"),
         "TOKEN_MONITOR_CONFIG": str(tmp / "none.yaml"), "TZ": "UTC"},
    )  # fmt: skip
    report.cli_runs += 1
    try:
        code = cli_main(args, env)
    except BaseException:
        report.crash(f"{args[:3]} raised:\n{traceback.format_exc()}")
        return
    if code != 0:
        report.crash(f"{args[:3]} exited {int(code)}: {err.getvalue()[-1500:]}")


def cli_round(lines: list[bytes], tmp: Path, rng: random.Random, report: Report) -> None:
    """Stage 2: every command, table and JSON, with and without the ledger, on one data dir."""
    data = tmp / "data"
    write_data(data, lines, rng)
    report.cli_lines += len(lines)
    for ledger in (True, False):
        extra = ["--data-dir", str(data)] + ([] if ledger else ["--no-ledger"])
        for command in COMMANDS:
            variants = (
                [["--json"], []]
                if command != "export"
                else [["--format", "csv"], ["--format", "json"]]
            )
            for variant in variants:
                run_cli([command, *variant, *extra], tmp, report)


def fuzz(lines: int, cli_lines: int, seed: int, cli_batch: int = 10_000) -> Report:
    """Run both stages; return the figures."""
    rng = random.Random(seed)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="tm-fuzz-") as tmp_name:
        tmp = Path(tmp_name)
        mutator = Mutator(seed_lines(tmp, seed), rng)
        batch: list[bytes] = []
        for i in range(max(lines, cli_lines)):
            line = mutator.mutate()
            if i < lines:
                check_line(line, report)
            if i < cli_lines:
                batch.append(line)
                if len(batch) >= cli_batch or i == cli_lines - 1:
                    round_dir = tmp / f"round-{i}"
                    cli_round(batch, round_dir, rng, report)
                    batch = []
                    import shutil

                    shutil.rmtree(round_dir, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    """Print lines tried, crashes and time; exit 1 when anything crashed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=300_000, help="mutated lines through the parser")
    ap.add_argument("--cli-lines", type=int, default=300_000, help="of those, through the CLI")
    ap.add_argument("--batch", type=int, default=10_000, help="lines per CLI data dir")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)  # bad lines are expected; the report says what matters
    started = time.perf_counter()
    report = fuzz(args.lines, args.cli_lines, args.seed, args.batch)
    elapsed = time.perf_counter() - started
    print(f"lines tried (parser)   {report.parsed_lines:,}")
    print(f"  valid JSON           {report.decoded:,}")
    print(f"  counted / rejected   {report.entries:,} / {report.rejected:,}")
    print(f"  by the usual path    {report.usual:,}")
    print(f"lines through the CLI  {report.cli_lines:,} ({report.cli_runs:,} command runs)")
    print(f"crashes                {len(report.crashes)}")
    print(f"time                   {elapsed:.1f} s")
    return 1 if report.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
