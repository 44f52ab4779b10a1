"""`token-monitor statusline` as Claude Code runs it: real process, recorded inputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tray_app.adapters.rate_capture import CaptureStore
from tray_app.adapters.spool_files import SETUP, SPOOL, STATE, write_json
from tray_app.cli.statusline_cmd import build_line
from tray_app.cli.statusline_cmd import run as run_statusline

FUTURE = time.time() + 3 * 3600
RECORDED = {
    "session_id": "5f1c…", "transcript_path": "/home/u/.claude/projects/p/5f1c.jsonl",
    "model": {"id": "claude-opus-4-5", "display_name": "Opus"},
    "cost": {"total_cost_usd": 0.0123}, "context_window": {"used_percentage": 8},
    "rate_limits": {
        "five_hour": {"used_percentage": 23.5, "resets_at": FUTURE},
        "seven_day": {"used_percentage": 41.2, "resets_at": FUTURE + 86400},
        "seven_day_opus": {"used_percentage": 3},
    },
}  # fmt: skip


def run(tmp: Path, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "TOKEN_MONITOR_DB": str(tmp / "l.db")}
    code = "from tray_app.launcher import main; raise SystemExit(main(['statusline']))"
    return subprocess.run([sys.executable, "-c", code], input=stdin, env=env,
                          capture_output=True, timeout=30)  # fmt: skip


def test_records_rate_limits_and_prints_the_official_figures(tmp_path: Path) -> None:
    done = run(tmp_path, json.dumps(RECORDED).encode())
    assert done.returncode == 0 and done.stderr == b""
    assert re.fullmatch(
        r"5h 24% · wk 41% · resets in 2 h 5\d min · \$0\.01\n", done.stdout.decode()
    )
    store = CaptureStore(str(tmp_path))
    store.refresh()
    five = store.captures["five_hour"]
    assert (five.percent, five.session_id, five.model) == (23.5, "5f1c…", "claude-opus-4-5")
    assert set(store.captures) == {"five_hour", "seven_day", "seven_day_opus"}


@pytest.mark.parametrize(
    "stdin",
    [
        b"",
        b"garbage{",
        b"[1, 2, 3]",
        b'{"rate_limits": "nope", "cost": {"total_cost_usd": "x"}}',
        b"\xff\xfe\x00binary",
        b"[" * 100_000,  # deep nesting
        json.dumps({"session_id": "x", "model": {"id": "m"}}).encode(),  # no rate_limits
    ],
)
def test_garbage_or_missing_rate_limits_still_prints_and_exits_0(
    tmp_path: Path, stdin: bytes
) -> None:
    done = run(tmp_path, stdin)
    assert done.returncode == 0 and done.stdout.strip() != b""
    assert not (tmp_path / SPOOL).exists()  # nothing official to record


def test_huge_stdin_is_cut_not_fatal(tmp_path: Path) -> None:
    huge = b'{"padding": "' + b"x" * 20_000_000 + b'"}'
    started = time.monotonic()
    done = run(tmp_path, huge)
    assert done.returncode == 0 and done.stdout == b"token-monitor\n"
    assert time.monotonic() - started < 20


def test_app_state_adds_block_tokens_and_burn(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    state = {"published_at": now - 30, "block": {"tokens": 1_234_000, "percent": 63.0,
             "source": "p90", "resets_at": now + 600, "end": now + 600,
             "tokens_per_minute": 12_300},
             "limits": [{"window": "seven_day", "percent": 51.0}]}  # fmt: skip
    assert (
        build_line({}, {}, state, now)
        == "5h 63% p90 (1.2M) · wk 51% · resets in 10 min · 12k tok/min"
    )
    # Stale app figures (the app stopped long ago) are left out.
    assert build_line({}, {}, {**state, "published_at": now - 3600}, now) == "token-monitor"
    coloured = build_line({}, {"five_hour": {"used_percentage": 85}}, None, now, ("block",), True)
    assert coloured == "5h \x1b[31m85%\x1b[0m"


def test_chains_the_previous_command_with_the_same_stdin(tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    previous: dict[str, Any] = {
        "type": "command",
        "command": f"cat > {seen}; echo 'my line'; echo second",
    }
    write_json(str(tmp_path / SETUP), {"previous": previous, "items": ["weekly"]})
    stdin = json.dumps(RECORDED).encode()
    assert run(tmp_path, stdin).stdout == b"my line  wk 41%\n"
    assert seen.read_bytes() == stdin
    write_json(
        str(tmp_path / SETUP), {"previous": previous, "items": ["weekly"], "position": "prepend"}
    )
    assert run(tmp_path, stdin).stdout == b"wk 41%  my line\n"


def test_unreadable_state_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / STATE).write_text("{not json")
    assert run(tmp_path, json.dumps(RECORDED).encode()).stdout.startswith(b"5h 24%")


def test_the_status_line_imports_nothing_heavy() -> None:
    """Start-up is most of its ≤ 50 ms budget: no typing, SQLite, YAML, dataclasses, …"""
    code = ("import sys; import tray_app.cli.statusline_cmd; print(' '.join(m for m in "
            "('typing', 'sqlite3', 'yaml', 'peewee', 'platformdirs', 'subprocess', "
            "'dataclasses', 'orjson') if m in sys.modules))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
payloads = st.fixed_dictionaries(
    {},
    optional={
        "rate_limits": st.dictionaries(
            st.sampled_from(["five_hour", "seven_day", "x" * 50, ""]),
            st.dictionaries(st.sampled_from(["used_percentage", "resets_at"]), json_values),
        )
        | json_values,
        "cost": st.dictionaries(st.just("total_cost_usd"), json_values) | json_values,
        "model": json_values,
        "session_id": json_values,
    },
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=payloads)
def test_any_input_gives_a_line_and_only_clean_records(
    tmp_path: Path, payload: dict[str, Any]
) -> None:
    stdin = json.dumps(payload, allow_nan=True).encode()
    line = run_statusline(stdin, {"TOKEN_MONITOR_DB": str(tmp_path / "l.db")}, 1_800_000_000.0)
    assert line and "\n" not in line and "\x1b" not in line
    store = CaptureStore(str(tmp_path))
    store.refresh()
    assert all(0 <= w.percent <= 10_000 for w in store.captures.values())


def test_absurd_figures_are_not_printed(tmp_path: Path) -> None:
    # 1e308 % and a reset in 1e30 s were printed as 300-digit figures; a cost of 1e30 too.
    now = 1_800_000_000.0
    payload = {
        "cost": {"total_cost_usd": 1e30},
        "rate_limits": {
            "five_hour": {"used_percentage": 1e308, "resets_at": 1e30},
            "seven_day": {"used_percentage": 41.2, "resets_at": 253402300800},
        },
    }
    env = {"TOKEN_MONITOR_DB": str(tmp_path / "l")}
    line = run_statusline(json.dumps(payload).encode(), env, now)
    assert line == "wk 41%"
    payload["rate_limits"] = {"five_hour": {"used_percentage": -5, "resets_at": now + 600}}
    line = run_statusline(json.dumps(payload).encode(), env, now)
    assert line == "token-monitor"


def test_a_closed_stdout_still_exits_0(tmp_path: Path) -> None:
    # With stdout closed (`>&-`) sys.stdout is None: the write raised, a traceback, exit 1.
    env = {**os.environ, "TOKEN_MONITOR_DB": str(tmp_path / "l.db")}
    code = "from tray_app.launcher import main; raise SystemExit(main(['statusline']))"
    done = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -c "{code}" >&-'],
        input=json.dumps(RECORDED).encode(), env=env, capture_output=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == b""


def test_a_chained_command_that_hangs_is_ended_with_what_it_started(tmp_path: Path) -> None:
    """Before, the timeout killed only the shell: its `sleep` outlived the status line."""
    marker = f"sleep 3{os.getpid() % 1000}.5"  # a duration no other process uses
    previous = {"type": "command", "command": f"echo mine; {marker} & wait"}
    write_json(str(tmp_path / SETUP), {"previous": previous, "items": ["weekly"]})
    started = time.monotonic()
    done = run(tmp_path, json.dumps(RECORDED).encode())
    assert done.returncode == 0 and done.stdout == b"wk 41%\n"
    assert time.monotonic() - started < 10
    time.sleep(0.3)
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert left.stdout == "", f"still running: {left.stdout}"
