"""scripts/gen_data.py: realistic shapes, every layout, determinism and exact expected totals."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts import gen_data as gen
from tests.builders import REAL_FIXTURES

REAL = REAL_FIXTURES
HEADLINE = (
    "responses",
    "input_tokens",
    "output_tokens",
    "cache_creation_tokens",
    "cache_read_tokens",
)


# ---- an independent, deliberately simple recount under the counting rules -------------------


def lines(root: Path) -> Iterator[tuple[Path, bytes, dict[str, Any] | None]]:
    """Every line of root (a file) or every *.jsonl under it, parsed (None: malformed/blank)."""
    for path in [root] if root.is_file() else sorted(root.rglob("*.jsonl")):
        for raw in path.read_bytes().split(b"\n")[:-1]:
            try:
                d = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                yield path, raw, None
                continue
            yield path, raw, d if isinstance(d, dict) else None


def copies(d: dict[str, Any]) -> list[tuple[dict[str, Any], Any, bool]]:
    """The response copies a line holds: (message, requestId, from a progress line)."""
    message = d.get("message")
    if d.get("type") == "assistant" and isinstance(message, dict):
        return (
            [(message, d.get("requestId"), False)] if isinstance(message.get("usage"), dict) else []
        )
    data = d.get("data")
    if d.get("type") == "progress" and isinstance(data, dict):
        inner = data.get("message")
        if data.get("type") == "agent_progress" and isinstance(inner, dict):
            msg = inner.get("message")
            if inner.get("type") == "assistant" and isinstance(msg, dict):
                return [(msg, inner.get("requestId"), True)] if "usage" in msg else []
    return []


def recount(root: Path) -> dict[str, Any]:
    """Totals of the winning copy of each unique response, plus facts for checks."""
    best: dict[Any, tuple[int, int, str, dict[str, int]]] = {}
    first: dict[Any, int] = {}
    where: dict[Any, set[str]] = {}
    synthetic: set[Any] = set()
    for path, _raw, d in lines(root):
        if d is None:
            continue
        for msg, req, progress in copies(d):
            mid = str(msg.get("id", ""))
            key: Any = mid if mid.startswith("msg_") else (d.get("sessionId"), mid, req)
            u = msg["usage"]
            if msg.get("model") == "<synthetic>":
                synthetic.add(key)
                continue
            c = u.get("cache_creation") or {}
            fields = {
                "input_tokens": int(u.get("input_tokens", 0)),
                "output_tokens": int(u.get("output_tokens", 0)),
                "cache_creation_tokens": int(u.get("cache_creation_input_tokens", 0)),
                "cache_read_tokens": int(u.get("cache_read_input_tokens", 0)),
                "cache_1h_tokens": int(c.get("ephemeral_1h_input_tokens", 0)),
            }
            total = sum(v for k, v in fields.items() if k != "cache_1h_tokens")
            rank = (fields["output_tokens"], total)
            old = best.get(key)
            if old is None or rank > old[:2]:
                best[key] = (*rank, str(msg.get("model")), fields)
            first.setdefault(key, fields["output_tokens"])
            where.setdefault(key, set()).add("progress" if progress else str(path))
    out: dict[str, Any] = dict.fromkeys(HEADLINE, 0)
    out["cache_1h_tokens"] = 0
    out["responses"] = len(best)
    models: set[str] = set()
    for _o, _t, model, fields in best.values():
        models.add(model)
        for k, v in fields.items():
            out[k] += v
    out["models"] = models
    out["first_line_output"] = sum(first.values())
    out["where"] = where
    out["synthetic"] = len(synthetic)
    return out


def tree_digest(root: Path) -> dict[str, tuple[str, int]]:
    """Relative path -> (sha256, mtime in ms) of every file."""
    return {
        str(p.relative_to(root)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            round(p.stat().st_mtime * 1000),
        )
        for p in sorted(root.rglob("*.jsonl"))
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A 4 MiB data dir, generated once for the module."""
    out = tmp_path_factory.mktemp("gen")
    exp = gen.generate(out, size_mb=4, seed=7)
    return out, exp


def data_bytes(root: Path) -> int:
    """Bytes of all transcripts under root/projects."""
    return sum(p.stat().st_size for p in (root / "projects").rglob("*.jsonl"))


# ---- tests -----------------------------------------------------------------------------------


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real fixtures absent: {REAL}")
def test_recount_matches_spec_table_on_real_transcripts() -> None:
    """The test's own recount gives the real transcripts' totals (so it can judge the generator)."""
    got = recount(REAL / "spotter")
    assert [got[k] for k in HEADLINE] == [174, 1_890, 30_717, 631_133, 13_009_928]
    assert got["first_line_output"] == 8_695
    got = recount(REAL / "agentlogs")
    assert [got[k] for k in HEADLINE] == [20, 83, 2_592, 39_994, 271_295]


def test_expected_totals_match_independent_recount(small: tuple[Path, Any]) -> None:
    """expected.json equals a from-scratch recount of the written files."""
    out, exp = small
    on_disk = json.loads((out / "expected.json").read_text())
    got = recount(out / "projects")
    for k in HEADLINE:
        assert on_disk[k] == got[k] == getattr(exp, k), k
    assert on_disk["cache_1h_tokens"] == got["cache_1h_tokens"]
    assert on_disk["synthetic_responses"] == got["synthetic"] > 0
    assert set(on_disk["by_model"]) == got["models"]
    assert sum(m["output_tokens"] for m in on_disk["by_model"].values()) == got["output_tokens"]
    # keeping the first streaming line must give a clearly different (smaller) figure
    assert got["first_line_output"] < 0.8 * got["output_tokens"]


def test_size_within_ten_percent(tmp_path: Path) -> None:
    """The data is within ±10 % of the requested size."""
    for mb in (1.5, 6):
        out = tmp_path / str(mb)
        exp = gen.generate(out, size_mb=mb, seed=3)
        size = data_bytes(out)
        assert size == exp.stats["bytes"]
        assert 0.9 * mb * gen.MiB <= size <= 1.1 * mb * gen.MiB, size / gen.MiB


def test_deterministic_per_seed(tmp_path: Path) -> None:
    """Same seed: identical bytes and mtimes; another seed: different data."""
    a, b, c = (tmp_path / n for n in "abc")
    gen.generate(a, size_mb=1, seed=11)
    gen.generate(b, size_mb=1, seed=11)
    gen.generate(c, size_mb=1, seed=12)
    assert tree_digest(a) == tree_digest(b)
    assert tree_digest(a) != tree_digest(c)


def test_every_layout_and_oddity_present(small: tuple[Path, Any]) -> None:
    """Subagent layouts, progress-only responses, resumes, odd and broken lines all occur."""
    out, _exp = small
    projects = out / "projects"
    main_files = gen.main_session_files(out)
    assert all(p.parent.parent == projects for p in main_files)
    sub_files = list(projects.glob("*/*/subagents/agent-*.jsonl"))
    assert any(p.name.startswith("agent-acompact-") for p in sub_files)
    assert any(not p.name.startswith("agent-acompact-") for p in sub_files)
    flat = list(projects.glob("*/agent-*.jsonl"))
    assert flat
    for p in sub_files + flat:
        parent_sid = p.parent.parent.name if p.parent.name == "subagents" else None
        for _p, _raw, d in lines(p):
            if d and d.get("sessionId"):
                assert d["isSidechain"] is True and d.get("agentId")
                if parent_sid:
                    assert d["sessionId"] == parent_sid
    inline = 0
    kinds: dict[str, int] = {}
    usage_in_text = synthetic_limit = progress_hooks = 0
    stamps: list[float] = []
    for path in main_files:
        for _p, raw, d in lines(path):
            if d is None:
                kind = "blank" if raw == b"" else "malformed"
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    kind = "non_utf8"
                kinds[kind] = kinds.get(kind, 0) + 1
                continue
            t = d.get("type")
            if t in ("summary", "file-history-snapshot"):
                assert "timestamp" not in d
                kinds[t] = kinds.get(t, 0) + 1
            if d.get("isSidechain") is True and "agentId" not in d:
                inline += 1
            if t == "user" and b'\\"usage\\":' in raw:
                usage_in_text += 1
            if t == "assistant" and b"usage limit reached|" in raw:
                synthetic_limit += 1
            if t == "progress" and d["data"].get("type") == "hook_progress":
                progress_hooks += 1
            if t == "assistant" and d["message"].get("model") != "<synthetic>":
                stamps.append(gen.parse_ts(d["timestamp"]))
    assert inline > 0
    assert usage_in_text > 0 and synthetic_limit > 0 and progress_hooks > 0
    for kind in ("blank", "malformed", "non_utf8", "summary", "file-history-snapshot"):
        assert kinds.get(kind, 0) > 0, kind
    # timestamps: ~25 days, work bursts and idle gaps longer than 5 h
    stamps.sort()
    assert 18 * 86400 < stamps[-1] - stamps[0] <= 26 * 86400
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert sum(g > 5 * 3600 for g in gaps) >= 8
    assert sorted(gaps)[len(gaps) // 2] < 300

    where = recount(projects)["where"]
    only_progress = [k for k, w in where.items() if w == {"progress"}]
    assert only_progress, "some responses exist only in agent_progress lines"
    both = [k for k, w in where.items() if "progress" in w and len(w) > 1]
    assert both, "some responses are both in a subagent file and a progress line"
    main_names = {str(p) for p in main_files}
    resumed = [w for w in where.values() if len(w & main_names) > 1]
    assert resumed, "resumed sessions copy responses of other session files"


def test_resumed_files_are_newer_and_streams_grow(small: tuple[Path, Any]) -> None:
    """A file that copies another's responses goes on later and has a later mtime."""
    out, _exp = small
    owners: dict[str, set[Path]] = {}
    last_ts: dict[Path, float] = {}
    outs: dict[tuple[Path, str, str], list[int]] = {}
    for path in gen.main_session_files(out):
        for _p, _raw, d in lines(path):
            if d and d.get("timestamp"):
                last_ts[path] = max(last_ts.get(path, 0.0), gen.parse_ts(d["timestamp"]))
            for msg, req, progress in copies(d or {}):
                if not progress and str(msg.get("id")).startswith("msg_"):
                    owners.setdefault(msg["id"], set()).add(path)
                    stream = outs.setdefault((path, msg["id"], req), [])
                    stream.append(msg["usage"]["output_tokens"])
    groups = {frozenset(v) for v in owners.values() if len(v) > 1}
    assert groups
    for group in groups:
        by_activity = sorted(group, key=lambda p: last_ts[p])  # the resume goes on later
        mtimes = [p.stat().st_mtime for p in by_activity]
        assert mtimes == sorted(mtimes) and len(set(mtimes)) == len(mtimes)
    streamed = [v for v in outs.values() if len(v) >= 2]
    assert streamed and any(v[0] < v[-1] for v in streamed)
    assert all(v == sorted(v) for v in streamed)  # output_tokens never decreases


def test_lines_have_realistic_sizes_and_models(small: tuple[Path, Any]) -> None:
    """Lines are 0.5-5 KB, mostly tool results by bytes; three models, 1h and 5m writes."""
    out, _exp = small
    sizes: list[int] = []
    tool_bytes = total = 0
    for _p, raw, d in lines(out / "projects"):
        total += len(raw) + 1
        if d is None:
            continue
        sizes.append(len(raw))
        content = d.get("message", {}).get("content") if d.get("type") == "user" else None
        if isinstance(content, list) and content and content[0].get("type") == "tool_result":
            tool_bytes += len(raw)
    sizes.sort()
    assert max(sizes) <= 5 * 1024
    assert sizes[len(sizes) // 10] >= 230 and sizes[len(sizes) // 2] >= 500
    assert tool_bytes > 0.5 * total
    exp = json.loads((out / "expected.json").read_text())
    assert set(exp["by_model"]) == {gen.OPUS, gen.SONNET, gen.HAIKU}
    assert exp["cache_1h_tokens"] > 0 and exp["cache_5m_tokens"] > 0


def test_append_adds_complete_responses(tmp_path: Path) -> None:
    """append()/append_responses() add whole responses and keep expected.json exact."""
    out = tmp_path / "d"
    gen.generate(out, size_mb=1, seed=5)
    target = gen.main_session_files(out)[0]
    before = recount(out / "projects")
    added = gen.append_responses(target, 3, seed=1, start=1_800_000_000.0)
    assert added.responses == 3
    mid = recount(out / "projects")
    for k in HEADLINE:
        assert mid[k] == before[k] + getattr(added, k), k
    assert target.read_bytes().endswith(b"\n")
    delta = gen.append(out, 200_000, seed=2, start=1_800_000_500.0)  # sizes fixed by the seed
    assert 200_000 <= delta.stats["bytes"] < 300_000
    newest = gen.main_session_files(out)[-1]
    assert str(newest) == delta.stats["file"]
    after = recount(out / "projects")
    on_disk = json.loads((out / "expected.json").read_text())  # lacks the 3 direct ones
    for k in HEADLINE:
        assert after[k] == on_disk[k] + getattr(added, k) == mid[k] + getattr(delta, k), k


def test_cli_writes_data_and_expected(tmp_path: Path) -> None:
    """The command line makes the data dir and prints the totals."""
    out = tmp_path / "cli"
    assert gen.main([str(out), "--size-mb", "0.6", "--seed", "2"]) == 0
    assert (out / "expected.json").is_file()
    assert gen.main([str(out), "--size-mb", "0.6"]) == 2  # refuses to mix two data sets
    assert os.listdir(out / "projects")
