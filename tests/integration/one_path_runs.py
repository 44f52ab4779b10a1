"""Runs of a user's transcript tree for the one-path property tests, and what they compare.

`runs` writes a story (tests/integration/transcript_story.py) to disk over several runs in
random chunk orders; `cli` runs a report in-process as a fresh CLI run; `Live` is the
tray's counting as UsageService runs it. The helpers turn both sides into comparable values.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.builders import T0
from tests.integration.transcript_story import (
    PLACES,
    Copy,
    Notice,
    Response,
    Tree,
    encoded,
    file_of,
    line_of,
)
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.scanner import Engine
from tray_app.cli.environment import Environment
from tray_app.cli.main import main
from tray_app.service.aggregator import UsageService
from tray_app.service.live_state import LiveState
from tray_app.service.live_sync import LedgerSync
from tray_app.service.publish import ViewSettings, build_snapshot
from tray_app.service.snapshot import Snapshot
from tray_app.usage.json_fields import block_json, block_limit_json
from tray_app.usage.official_limits import with_messages

PRICES = load_price_table()


REPORTS: tuple[tuple[str, ...], ...] = (
    ("status",),
    ("blocks",),
    ("sessions",),
    ("daily", "--timezone", "Asia/Kathmandu"),
    ("daily", "--timezone", "America/St_Johns"),
    ("models",),
    ("weekly", "--timezone", "Pacific/Chatham"),
    ("export", "--period", "daily", "--timezone", "Asia/Kathmandu"),
)


WINDOWED = (("status",), ("sessions",), ("daily", "--timezone", "America/St_Johns"))


def window(data: st.DataObject) -> tuple[str, ...]:
    """A --since/--until pair off the quarter-hours (the rollup's edges are read apart)."""
    lo = data.draw(st.integers(0, 60 * 24 * 5 * 60))  # seconds after T0
    hi = lo + data.draw(st.integers(1, 60 * 24 * 3 * 60))
    kathmandu = timezone(timedelta(hours=5, minutes=45))
    at = [(T0 + timedelta(seconds=s)).astimezone(kathmandu).isoformat() for s in (lo, hi)]
    return ("--since", at[0], "--until", at[1])


def cli(db: Path, data: Path | list[Path], now: float, args: Iterable[str]) -> Any:
    """The parsed JSON of one report, run in-process as a fresh CLI run at a pinned now."""
    out, err = io.StringIO(), io.StringIO()
    environ = {"TOKEN_MONITOR_DB": str(db), "TOKEN_MONITOR_CONFIG": str(db.parent / "none.yaml")}
    env = Environment(out, err, environ, now)
    dirs = [x for d in (data if isinstance(data, list) else [data]) for x in ("--data-dir", str(d))]
    code = main([*args, "--json", *dirs], env)
    assert code == 0, (list(args), err.getvalue())
    return json.loads(out.getvalue())


@st.composite
def stories(draw: st.DrawFn) -> tuple[list[Response], list[Notice]]:
    """Responses over five days in three sessions, each with 1–3 copies, and a few
    usage-limit lines."""
    notices = []
    # Two at one time too (the later reset wins, in any order: test_reset_ties).
    times = draw(st.lists(st.integers(0, 60 * 24 * 5), max_size=2))
    for i, minutes in enumerate(times):
        session, hours = draw(st.integers(0, 2)), draw(st.integers(1, 5))
        notices.append(Notice(i, session, minutes, hours))
    found: list[Response] = []
    for n in range(draw(st.integers(1, 16))):
        minutes = draw(st.integers(0, 60 * 24 * 5))
        copies = []
        output = 0
        for _ in range(draw(st.integers(1, 3))):
            output += draw(st.integers(1, 300))  # later copies are bigger: no ties
            place = draw(st.sampled_from(PLACES))
            copies.append(Copy(output, minutes + draw(st.integers(0, 30)), place))
        session, model = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        input_tokens, cache_read = draw(st.integers(0, 5000)), draw(st.integers(0, 20000))
        copies = draw(st.permutations(copies))
        found.append(Response(n, session, model, input_tokens, cache_read, tuple(copies)))
    return found, notices


def chunks(data: st.DataObject, raw: bytes) -> list[bytes]:
    """A file's bytes cut at random places (inside lines too)."""
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, len(raw) - 1)), max_size=4))))
    edges = [0, *(c for c in cuts if 0 < c < len(raw)), len(raw)]
    return [raw[a:b] for a, b in pairwise(edges)]


class Live:
    """The tray's counting as UsageService runs it: an engine that keeps its changes in
    memory, flushed to the shared ledger now and then, and a live state kept in step with
    the ledger (restarted from it when another process wrote)."""

    def __init__(self, root: Path, db: Path, now: float) -> None:
        self.root, self.db, self.now = root, db, now
        self.start()

    def start(self) -> None:
        """A (re)start: the first state from the ledger's aggregates."""
        self.ledger = Ledger.open(self.db)
        self.engine = Engine(Roots((self.root,)), self.ledger)
        self.state = LiveState(PRICES.cost)
        self.sync = LedgerSync(self.state, self.engine, self.ledger, PRICES)
        self.sync.start(self.now)

    def scan(self) -> None:
        """One catch-up scan applied to the live state (UsageService._scan)."""
        result = self.engine.refresh(persist=False)
        if self.sync.restart_if_others_wrote(self.now):
            return  # the new state holds this scan's changes too (flushed first)
        if result.changes or result.resets:
            self.state.apply(result.changes, result.resets, self.now, self.sync.history)

    def tick(self, now: float) -> None:
        """The clock moved (UsageService's tick)."""
        self.now = now
        self.state.tick(now)
        self.sync.restart_if_others_wrote(now)

    def stop(self) -> None:
        """Quit: the last flush, the ledger closed."""
        self.engine.flush()
        self.ledger.close()


def block_view(blocks: Iterable[Any]) -> list[tuple[object, ...]]:
    """The figures `blocks --json` and the live view must agree on, per real block."""
    return [
        (b.start, b.end, b.tokens, b.totals.responses, b.is_active) for b in blocks if not b.is_gap
    ]


def cli_blocks(got: Any) -> list[tuple[object, ...]]:
    """The same figures from `blocks --json`."""

    def at(s: str) -> float:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

    return [
        (at(b["start"]), at(b["end"]), b["total_tokens"], b["responses"], b["is_active"])
        for b in got["blocks"]
        if not b.get("is_gap")
    ]


def runs(
    tmp: Path,
    story: tuple[list[Response], list[Notice]],
    data: st.DataObject,
    root_of: Callable[[int], Path] | None = None,
) -> Iterator[tuple[Tree, Path]]:
    """Write the story's files over several runs; yield the tree and a truth dir per run.

    Each file's lines come in a random order (late older lines, a bigger copy before a
    smaller one), cut into chunks at any byte; the chunks of all files are interleaved
    (each file's in order) and runs fall between them. After a run a file may be replaced
    by one holding only its unfinished last line (a rotation) or by a copy of itself (read
    again: a replay). A few bad lines sit among the others.
    """
    root = tmp / "projects"
    where = root_of or (lambda session: root)  # the data root of a session's files
    files: dict[Path, list[bytes]] = {}
    lines: dict[bytes, tuple[Response, Copy] | Notice | None] = {}
    for r in story[0]:
        for c in r.copies:
            line = encoded(line_of(r, c))
            files.setdefault(file_of(where(r.session), r, c.place), []).append(line)
            lines[line] = (r, c)
    for x in story[1]:  # in the session's main file, among its responses
        line = encoded(x.line())
        main = file_of(where(x.session), Response(0, x.session, 0, 0, 0, ()), "main")
        files.setdefault(main, []).append(line)
        lines[line] = x
    for i in range(data.draw(st.integers(0, 2))):  # bad lines: skipped, the rest counts
        bad = b'{"type":"assistant","message":{"usage":{"output_tokens":%d}} cut\n' % (i + 1)
        files[data.draw(st.sampled_from(sorted(files)))].append(bad)
        lines[bad] = None
    queues = {
        p: chunks(data, b"".join(data.draw(st.permutations(ls)))) for p, ls in sorted(files.items())
    }
    order = data.draw(st.permutations([p for p, q in queues.items() for _ in q]))
    stops = sorted(set(data.draw(st.lists(st.integers(1, len(order)), max_size=3))))
    tree = Tree(root)
    start = 0
    for stop in [*stops, len(order)]:
        for path in order[start:stop]:
            tree.append(path, queues[path].pop(0))
        start = stop
        tree.observe(lines)
        truth = tree.write_truth(tmp / f"truth{stop}")
        truth.mkdir(parents=True, exist_ok=True)
        yield tree, truth
        if data.draw(st.booleans()) and tree.written:
            path = data.draw(st.sampled_from(sorted(tree.written)))
            tree.replace(path, keep=data.draw(st.booleans()))


def pinned_now(story: tuple[list[Response], list[Notice]], after: int) -> float:
    """`after` minutes past the story's last line: the last block may still be open."""
    times = [c.minutes for r in story[0] for c in r.copies] + [x.minutes for x in story[1]]
    return T0.timestamp() + (max(times) + after) * 60


def clock(tree: Tree, before: float, data: st.DataObject) -> float:
    """A run's clock: some minutes past the newest line read so far, never backwards."""
    seen = [m for *_, m in tree.truth.values()] + [x.minutes for x in tree.notices]
    newest = T0.timestamp() + max(seen, default=0) * 60
    return max(before, newest + data.draw(st.integers(0, 600)) * 60)


def live_active(live: Live) -> Any:
    """The live snapshot's active block as `status --json` writes its `active_block`
    (limit messages in the transcripts count as official figures, as UsageService does)."""
    settings = ViewSettings()
    notices = [*live.engine.resets, *live.engine.limits]
    captures = with_messages({}, notices, live.now, settings.official_max_age)
    view = build_snapshot(live.state, live.now, settings, {}, {}, None, captures).active_block
    if view is None:
        return None
    return block_json(view.block, live.now) | block_limit_json(
        view.limit_tokens, view.limit_source, view.percent
    )


def live_sessions(live: Live) -> dict[str, tuple[int, int]]:
    """Tokens and responses per session in the live state."""
    return {
        sid: (s.acc.build().total_tokens, s.acc.build().responses)
        for sid, s in live.state.sessions.items()
        if s.acc.responses
    }


def cli_sessions(got: Any) -> dict[str, tuple[int, int]]:
    """The same figures from `sessions --json`."""
    return {s["session_id"]: (s["total_tokens"], s["responses"]) for s in got["sessions"]}


def wait_for(service: UsageService, totals: dict[str, int]) -> Snapshot:
    """The first snapshot the service publishes with these totals (5 s at most)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        snap = service.latest
        if snap is not None and service.ready.is_set():
            have = {k: getattr(snap.totals, k) for k in totals}
            if have == totals:
                return snap
        time.sleep(0.01)
    raise AssertionError(f"no snapshot with {totals}; latest: {service.latest}")
