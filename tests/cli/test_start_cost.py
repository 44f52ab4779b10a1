"""What every command start skips: the options of the commands not on the command line."""

from __future__ import annotations

import argparse

from tray_app.cli.main import build_parser


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
