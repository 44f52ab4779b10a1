"""Argument parsing: options before or after the command, per-command help, errors (exit 2)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.main import build_parser, main
from tray_app.cli.options import date_arg


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "claude" / "projects" / "-home-u-proj"
    write_jsonl(
        root / "s1.jsonl",
        [
            assistant("msg_1", 50, session="aaaa1111", minutes=0),
            assistant("msg_2", 20, session="aaaa1111", minutes=60 * 26),
        ],
    )
    return tmp_path / "claude"


def run(args: list[str], tmp_path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        out,
        err,
        {
            "TOKEN_MONITOR_DB": str(tmp_path / "db" / "l.db"),
            "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        },
    )
    return main(args, env), out.getvalue(), err.getvalue()


def test_global_options_before_or_after_the_command(tmp_path: Path, data: Path) -> None:
    after = run(["daily", "--json", "-z", "UTC", "--data-dir", str(data)], tmp_path)
    before = run(["--json", "-z", "UTC", "--data-dir", str(data), "daily"], tmp_path)
    assert after[0] == before[0] == 0
    assert json.loads(after[1]) == json.loads(before[1])
    assert [d["date"] for d in json.loads(before[1])["daily"]] == ["2026-02-10", "2026-02-11"]


def test_short_flags(tmp_path: Path, data: Path) -> None:
    code, out, err = run(
        ["daily", "-j", "-z", "UTC", "-s", "20260211", "-u", "20260211", "--data-dir", str(data)],
        tmp_path,
    )
    assert code == 0, err
    assert [d["date"] for d in json.loads(out)["daily"]] == ["2026-02-11"]


@pytest.mark.parametrize(
    ("text", "want"),
    [("20260211", "2026-02-11"), ("2026-02-11", "2026-02-11"), ("2026-02-11T10:00Z", None)],
)
def test_date_forms(text: str, want: str | None) -> None:
    assert date_arg(text) == (want or text)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["daily", "--since", "20260212", "--until", "20260210"], "is after --until"),
        (["daily", "--since", "2026-13-01"], "not a date or time"),
        (["daily", "--since", ""], "empty value"),
        (["daily", "--project", " "], "empty value"),
        (["daily", "--timezone", ""], "empty value"),
        (["daily", "--last", "0"], "expected 1 or more"),
        (["export", "--format", "csv", "--json"], "--json and --format cannot be used together"),
        (["--json", "export", "--format", "csv"], "--json and --format cannot be used together"),
        (["--json", "daily", "--compact"], "--json and --compact cannot be used together"),
        (["blocks", "--active", "--recent"], "not allowed with argument"),
        (["--json", "tray"], "`tray` does not take --json"),
        (["--since", "20260101", "doctor"], "`doctor` does not take --since"),
        (["status", "--config", "/nonexistent/x.yaml"], "--config: no such file"),
        (["status", "--config", "/dev/zero"], "--config: not a regular file: /dev/zero"),
        (["status", "--config", "/tmp"], "--config: not a regular file: /tmp"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], said: str) -> None:
    code, out, err = run(args, tmp_path)
    assert code == ExitStatus.USAGE and out == ""
    assert said in err and err.count("\n") == 1 and err.startswith("token-monitor: error: ")


def test_export_json_twice_agrees(tmp_path: Path, data: Path) -> None:
    code, out, _ = run(["export", "--format", "json", "--json", "--data-dir", str(data)], tmp_path)
    assert code == 0 and [r["output_tokens"] for r in json.loads(out)["responses"]] == [50, 20]


def _options_in_help(command: str) -> set[str]:
    parser = build_parser()
    text = io.StringIO()
    sub = next(a for a in parser._actions if a.dest == "command")
    sub.choices[command].print_help(text)  # type: ignore[index]
    return {w.strip("[],") for w in text.getvalue().split() if w.startswith(("--", "[--"))}


def test_each_help_lists_only_the_options_the_command_takes() -> None:
    base = {"--help", "--config", "--color", "--no-color", "--debug"}
    assert _options_in_help("tray") == base
    assert _options_in_help("autostart") == base | {"--json"}
    assert _options_in_help("doctor") == base | {"--json", "--data-dir", "--no-ledger"}
    daily = _options_in_help("daily")
    assert {"--breakdown", "--order", "--last", "--instances", "--project", "--no-cost"} <= daily
    assert "--token-limit" not in daily and "--format" not in daily
    assert "--token-limit" in _options_in_help("blocks")


def test_config_path_is_read(tmp_path: Path, data: Path) -> None:
    cfg = tmp_path / "other.yaml"
    cfg.write_text("timezone: Asia/Tokyo\n")
    code, out, err = run(
        ["daily", "--json", "--config", str(cfg), "--data-dir", str(data)], tmp_path
    )
    assert code == 0, err
    # 21:11 UTC on 2026-02-10 is 06:11 on the 11th in Tokyo; 26 h later is the 12th.
    assert [d["date"] for d in json.loads(out)["daily"]] == ["2026-02-11", "2026-02-12"]


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"], Environment(io.StringIO(), io.StringIO(), {}))
    out = capsys.readouterr().out
    assert done.value.code == 0
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("    ")}
    assert set(sub.choices) <= listed  # type: ignore[arg-type]
    assert "every limit window: %, source, age, reset" in out  # a % in a help string
