"""Tables that fit the terminal: columns dropped and model names shortened as width runs out."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from tray_app.cli.table_layout import (
    GAP,
    SGR,
    STYLES,
    is_narrow,
    narrow,
    plain_layout,
    rich_layout,
)
from tray_app.usage.text_safety import clean

Cell = str | Sequence[str]  # a list of lines stacks inside one cell (model lists)
_DATED = re.compile(r"-\d{8}$")
_OLD_STYLE = re.compile(r"^(\d+(?:-\d+)?)-(opus|sonnet|haiku)$")  # claude-3-5-sonnet
ELLIPSIS = "\u2026"
SQUEEZE_MIN = 8  # a cut name keeps at least this many columns ("sonnet-…")


class Rendered(str):
    """Table text already cleaned cell by cell: its colour codes must reach the terminal."""

    __slots__ = ()


@dataclass(frozen=True)
class Col:
    """A column: numbers right-aligned; `drop` > 0 goes when narrow (highest first)."""

    header: str
    right: bool = True
    drop: int = 0
    compact: bool = True  # shown by --compact
    models: bool = False  # cells are model names: shortened when the table is too wide
    squeeze: bool = False  # names: cut with `…` when nothing more can be dropped (never numbers)


@dataclass
class Line:
    """A row of cells; `kind` is "", "total", "group", "sub" (a breakdown row) or "gap"."""

    cells: list[Any]  # each a Cell: text, or lines stacked in one cell
    kind: str = ""


@dataclass
class Output:
    """Where a table goes: its width and whether it gets colour."""

    width: int = 80
    color: bool = False
    compact: bool = False


def short_model(name: str) -> str:
    """`claude-opus-4-5-20251101` → `opus-4-5`; `claude-3-5-sonnet-20241022` → `sonnet-3-5`."""
    short = _DATED.sub("", name.removeprefix("claude-"))
    old = _OLD_STYLE.match(short)
    return f"{old[2]}-{old[1]}" if old else short


def terminal_width(env: Mapping[str, str], stream: TextIO) -> int:
    """`COLUMNS`, else the tty's width, else 80 (piped output)."""
    cols = env.get("COLUMNS", "")
    if cols.isdigit() and int(cols) >= 20:
        return int(cols)
    try:
        if stream.isatty():
            return max(20, os.get_terminal_size(stream.fileno()).columns)
    except (OSError, ValueError, AttributeError):
        pass
    return 80


def wants_color(choice: bool | None, env: Mapping[str, str], stream: TextIO) -> bool:
    """--color/--no-color win; else NO_COLOR turns it off; else colour only on a tty."""
    if choice is not None:
        return choice
    if env.get("NO_COLOR"):
        return False
    try:
        return stream.isatty() and env.get("TERM") != "dumb"
    except (ValueError, AttributeError):
        return False


def _lines(cell: Cell) -> list[str]:
    return [clean(cell)] if isinstance(cell, str) else [clean(c) for c in cell] or [""]


def cell_len(text: str) -> int:
    """Terminal columns of `text` (a wide character takes two)."""
    if is_narrow(text):
        return len(text)
    from rich.cells import cell_len as measure  # here: only wide text needs its tables

    return measure(text)


def _cut(text: str, width: int) -> str:
    """`text` in at most `width` columns, ending in `…` when it was longer."""
    if cell_len(text) <= width:
        return text
    if is_narrow(text):
        return text[: width - 1] + ELLIPSIS
    from rich.cells import set_cell_size

    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS


def _width(col: Col, rows: Sequence[Line], i: int) -> int:
    """Column `i`'s width: its header's or its widest cell line's."""
    return max(
        cell_len(col.header), *(cell_len(x) for row in rows for x in _lines(row.cells[i])), 0
    )


def _widths(cols: Sequence[Col], rows: Sequence[Line]) -> list[int]:
    return [_width(col, rows, i) for i, col in enumerate(cols)]


def fit(cols: Sequence[Col], rows: Sequence[Line], out: Output) -> tuple[list[Col], list[Line]]:
    """The columns and cells that fit `out.width`: shorten model names, drop columns, then
    cut names."""
    use_cols, use_rows, _ = _fit(cols, rows, out)
    return use_cols, use_rows


def _fit(
    cols: Sequence[Col], rows: Sequence[Line], out: Output
) -> tuple[list[Col], list[Line], list[int]]:
    """`fit`, and the widths of what is left (each column measured once: a 10K-session
    table measured every cell again per dropped column, ~0.1 s)."""
    keep = [i for i, c in enumerate(cols) if c.compact or not out.compact]
    use_cols = [cols[i] for i in keep]
    use_rows = [Line([row.cells[i] for i in keep], row.kind) for row in rows]
    widths = _widths(use_cols, use_rows)

    def total() -> int:
        return sum(widths) + GAP * (len(widths) - 1)

    if total() > out.width or out.compact:
        for i, col in enumerate(use_cols):
            if col.models:
                for row in use_rows:
                    cell = row.cells[i]
                    row.cells[i] = _shorten([cell] if isinstance(cell, str) else cell)
                widths[i] = _width(col, use_rows, i)
    while total() > out.width and any(c.drop for c in use_cols):
        worst = max(range(len(use_cols)), key=lambda i: (use_cols[i].drop, i))
        col = use_cols[worst]
        floor = max(SQUEEZE_MIN, cell_len(col.header))
        if col.squeeze and not col.right and total() - widths[worst] + floor <= out.width:
            break  # cutting names (this one among them) is enough: kept, cut below
        del use_cols[worst], widths[worst]
        for row in use_rows:
            del row.cells[worst]
    if total() > out.width:
        _squeeze(use_cols, use_rows, widths, total() - out.width)
    return use_cols, use_rows, widths


def _squeeze(cols: Sequence[Col], rows: Sequence[Line], widths: list[int], excess: int) -> None:
    """Cut names (the widest first, to SQUEEZE_MIN) by `excess` columns, in place.

    Numbers, dates and times are never cut: a cost missing its last digit reads as another
    cost (rich's own shrinking did that to a 3 GB `blocks` total). What still does not fit
    runs past the terminal's width, whole.
    """
    names = sorted(
        (i for i, c in enumerate(cols) if (c.squeeze or c.models) and not c.right),
        key=lambda i: -widths[i],
    )
    for i in names:
        take = min(excess, widths[i] - max(SQUEEZE_MIN, cell_len(cols[i].header)))
        if take <= 0:
            continue
        excess -= take
        for row in rows:
            cell = row.cells[i]
            cut = [_cut(line, widths[i] - take) for line in _lines(cell)]
            row.cells[i] = cut[0] if isinstance(cell, str) else cut
        widths[i] = _width(cols[i], rows, i)  # a wide character may leave one column over
        if excess <= 0:
            break


def _shorten(names: Sequence[str]) -> list[str]:
    out = []
    for name in names:
        prefix = name[: len(name) - len(name.lstrip("└─ "))]
        out.append(prefix + short_model(name[len(prefix) :]))
    return out


def render(cols: Sequence[Col], rows: Sequence[Line], out: Output) -> Rendered:
    """The table as text: fitted, cells cleaned, colour only when `out.color`."""
    rows, labels = _labels(rows)
    use_cols, use_rows, widths = _fit(cols, rows, out)
    cells = [[_lines(c) for c in row.cells] for row in use_rows]
    # A table still too wide after `fit` runs past the width whole, in either layout.
    if widths and min(widths) > 0 and narrow(use_cols, cells):
        lines = plain_layout(use_cols, use_rows, cells, widths, out.color)
    else:
        lines = rich_layout(use_cols, use_rows, cells, widths, out).split("\n")
    at = 2  # below the header and its rule
    for i, row_cells in enumerate(cells):
        if i in labels and at < len(lines):  # (a table left with no column has no rows)
            label = _cut(labels[i], max(out.width, SQUEEZE_MIN))
            lines[at] = f"\x1b[{SGR[STYLES['group']]}m{label}\x1b[0m" if out.color else label
        at += max((len(c) for c in row_cells), default=1)
    return Rendered("\n".join(lines))


def _labels(rows: Sequence[Line]) -> tuple[list[Line], dict[int, str]]:
    """Rows with each group heading taken out of its cell, and the headings by row.

    A heading (a project above its rows) stands on its own line: as a cell it made the
    first column as wide as the longest project name, for every row.
    """
    out, labels = [], {}
    for i, row in enumerate(rows):
        first = row.cells[0] if row.cells else ""
        if row.kind == "group" and isinstance(first, str) and first and not any(row.cells[1:]):
            labels[i] = clean(first)
            row = Line(["", *row.cells[1:]], row.kind)
        out.append(row)
    return out, labels
