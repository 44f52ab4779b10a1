"""What every command start skips: the options of the commands not on the command line."""

from __future__ import annotations

import argparse
import gc
import io
from pathlib import Path

import pytest

from tests.cli.launcher_run import run_stub_status
from tray_app import launcher
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.cli.main import build_parser, main


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for a in parser._actions for s in a.option_strings}


def test_only_the_named_command_gets_its_options_and_every_command_is_listed() -> None:
    full = _subparsers(build_parser())
    some = _subparsers(build_parser(["status", "--json"]))
    assert list(some) == list(full)  # the same names, in the same order (help, errors)
    assert _options(some["status"]) == _options(full["status"])
    assert "--json" in _options(full["daily"])
    assert _options(some["daily"]) == {"-h", "--help"}


def test_the_listed_commands_help_lines_are_unchanged() -> None:
    assert build_parser([]).format_help() == build_parser().format_help()


LINES = [
    ["status", "--json"],
    ["--json", "daily", "--since", "2026-01-01"],
    ["--data-dir", "status", "daily"],  # an option's value that names a command
    ["blocks", "--active", "--token-limit", "500k"],
    ["name", "abc", "My session", "--tag", "x"],
    ["export", "--period", "daily", "--format", "json"],
    ["forget-root", "/tmp/x", "--yes"],
    ["session", "status"],
]


@pytest.mark.parametrize("line", LINES)
def test_a_parser_of_only_the_named_commands_parses_as_the_full_one(line: list[str]) -> None:
    want = vars(build_parser(line).parse_args(line))
    got = vars(build_parser(line, only_used=True).parse_args(line))
    assert got == want


def _run(line: list[str], tmp_path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, env={"HOME": str(tmp_path)})
    return main(line, env), out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "line",
    [["bogus"], ["bogus", "status"], ["status", "--bogus"], ["daily", "--since", "x"], []],
)
def test_errors_and_help_still_list_every_command(line: list[str], tmp_path: Path) -> None:
    code, out, err = _run(line, tmp_path)
    if line == []:
        assert code == 0 and out == build_parser().format_help()
        return
    assert code == ExitStatus.USAGE
    if line[0] == "bogus":
        # argparse names every choice: the message of the parser that lists them all.
        assert "'bogus' (choose from 'status', 'blocks', 'sessions'" in err
        assert "'statusline')" in err
    else:
        with pytest.raises(CliError) as full:
            build_parser(line).parse_args(line)
        assert err == f"token-monitor: error: {full.value}\n"


def test_top_level_help_lists_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        _run(["--help", "status"], tmp_path)
    assert capsys.readouterr().out == build_parser().format_help()


def test_the_collector_is_paused_while_loading_and_on_for_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run_stub_status(monkeypatch, gc.isenabled, gc.isenabled) == (False, True)
    assert gc.isenabled()
    with pytest.raises(SystemExit):
        launcher.main(["--version"])  # an early exit turns it back on too
    assert gc.isenabled()
