"""Dataclass methods compiled on first call behave exactly as the ones compiled at once."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.builders import assistant, write_jsonl
from tests.cli.launcher_run import run_stub_status
from tray_app.cli.deferred_methods import deferred


def _classes() -> tuple[type[Any], type[Any], type[Any]]:
    """The same three classes, made wherever this is called."""

    @dataclasses.dataclass(frozen=True, slots=True, order=True)
    class Point:
        x: int
        y: int = 0
        tags: tuple[str, ...] = ()

    @dataclasses.dataclass
    class Box:  # no docstring: dataclasses writes one from the __init__ signature
        items: list[Any] = dataclasses.field(default_factory=list)
        size: int = 0

        def __post_init__(self) -> None:
            self.size = len(self.items)

    @dataclasses.dataclass(frozen=True)
    class Empty:
        pass

    return Point, Box, Empty


def _behaviour(point: type[Any], box: type[Any], empty: type[Any]) -> list[Any]:
    """Everything the generated methods decide, as plain values."""
    a, b, c = point(1, 2, ("t",)), point(1, 2, ("t",)), point(2)
    seen: list[Any] = [repr(a), a == b, a != c, a == 1, hash(a) == hash(b), hash(a)]
    seen += [a < c, c >= a, sorted([c, a]) == [a, c], (a < c, a <= b, c > a)]
    for name, value in (("x", 5), ("y", None), ("z", 1)):  # assign, delete, a new name
        with pytest.raises((dataclasses.FrozenInstanceError, AttributeError, TypeError)) as err:
            setattr(a, name, value) if value is not None else delattr(a, name)
        seen.append((type(err.value).__name__, str(err.value)))
    seen += [dataclasses.replace(a, y=9), dataclasses.asdict(a), copy.copy(a)]
    seen.append(copy.deepcopy(a) == a)
    loop = box([1])
    loop.items.append(loop)  # a repr of itself inside shows "..."
    seen += [repr(loop), loop.size, box() == box(), box.__hash__ is None, box.__doc__]
    loop.size = 7  # not frozen: plain assignment
    seen += [loop.size, repr(empty()), empty() == empty(), hash(empty()) == hash(empty())]
    seen += [str(inspect.signature(cls)) for cls in (point, box, empty)]
    return [repr(x) if dataclasses.is_dataclass(x) else x for x in seen]


def test_deferred_methods_give_the_same_results_as_compiled_ones() -> None:
    stock = _behaviour(*_classes())
    with deferred() as active:
        made = _classes()
    assert active
    assert _behaviour(*made) == stock


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the methods the (real) dataclasses builder compiles."""
    create = dataclasses._create_fn  # type: ignore[attr-defined]
    names: list[str] = []

    def counting(
        name: str, args: Any, body: Any, *, globals: Any = None, locals: Any = None,
        return_type: Any = dataclasses.MISSING,
    ) -> Any:  # fmt: skip
        names.append(name)
        return create(name, args, body, globals=globals, locals=locals, return_type=return_type)

    monkeypatch.setattr(dataclasses, "_create_fn", counting)
    yield names


def test_only_init_compiles_when_the_class_is_made_the_rest_on_first_call(
    counted: list[str],
) -> None:
    with deferred():
        point = _classes()[0]
    assert counted.count("__init__") == 3 and set(counted) == {"__init__"}
    counted.clear()
    p = point(1)
    assert counted == []  # __init__ was compiled with the class
    assert hash(p) == hash(point(1)) and p == point(1) and p < point(2)
    assert sorted(counted) == ["__eq__", "__hash__", "__lt__"]
    hash(p), p == point(3), p < point(0)  # (compiled once, then reused)
    assert sorted(counted) == ["__eq__", "__hash__", "__lt__"]


def test_the_builder_is_restored_after_the_block(counted: list[str]) -> None:
    builder = dataclasses._create_fn  # type: ignore[attr-defined]
    with deferred():
        assert dataclasses._create_fn is not builder  # type: ignore[attr-defined]
    assert dataclasses._create_fn is builder  # type: ignore[attr-defined]
    _classes()
    assert "__repr__" in counted  # outside the block: all compiled at once again


def test_an_unknown_builder_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def other(name: str, args: Any, body: Any) -> Any:  # another Python's shape
        raise AssertionError("not to be called through deferred()")

    monkeypatch.setattr(dataclasses, "_create_fn", other)
    with deferred() as active:
        assert dataclasses._create_fn is other  # type: ignore[attr-defined]
    assert not active
    monkeypatch.delattr(dataclasses, "_create_fn")  # (3.13 has none)
    with deferred() as active:
        pass
    assert not active


def test_the_launcher_defers_for_the_command_only(monkeypatch: pytest.MonkeyPatch) -> None:
    builder = dataclasses._create_fn  # type: ignore[attr-defined]

    def deferring() -> bool:
        return dataclasses._create_fn is not builder  # type: ignore[attr-defined]

    assert run_stub_status(monkeypatch, lambda: None, deferring)[1] is True
    assert dataclasses._create_fn is builder  # type: ignore[attr-defined]


RUN = "import sys; from tray_app.{} import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.parametrize(
    "command",
    [["status", "--json"], ["status"], ["blocks"], ["sessions", "--json"], ["daily"], ["models"]],
)
def test_reports_through_the_launcher_print_what_the_cli_prints(
    command: list[str], tmp_path: Path
) -> None:
    data = tmp_path / "claude"
    lines: list[dict[str, Any] | bytes | str] = [
        assistant(f"m{i}", 10 + i, minutes=i * 7.0, session=f"s{i % 3}") for i in range(40)
    ]
    write_jsonl(data / "projects" / "p" / "s.jsonl", lines)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "120",
           "TOKEN_MONITOR_DB": str(tmp_path / "l.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    line = [*command, "--data-dir", str(data), "--now", "2026-02-11T01:55:00+00:00"]

    def out(module: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", RUN.format(module), *line], capture_output=True, text=True,
            env=env, check=True,
        )  # fmt: skip
        return done.stdout

    shown = out("launcher")
    assert shown == out("cli.main")
    assert "1,300" in shown or "1300" in shown  # (all 40 responses: 1,300 tokens)
