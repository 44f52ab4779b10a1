"""Tables that fit the terminal: columns dropped and model names shortened as width runs out."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from tray_app.usage.text_safety import clean

Cell = str | Sequence[str]  # a list of lines stacks inside one cell (model lists)
_DATED = re.compile(r"-\d{8}$")
_OLD_STYLE = re.compile(r"^(\d+(?:-\d+)?)-(opus|sonnet|haiku)$")  # claude-3-5-sonnet
GAP = 2
STYLES = {
    "head": "bold",
    "total": "bold",
    "active": "green",
    "group": "bold cyan",
    "sub": "dim",
    "gap": "dim",
}
ELLIPSIS = "\u2026"
SQUEEZE_MIN = 8  # a cut name keeps at least this many columns ("sonnet-…")
# One column each, as rich counts them too: the table's own marks need no width tables.
NARROW = frozenset("\u2026\u2500\u2514\u251c\u2502")  # … ─ └ ├ │
# The SGR parameters rich writes for those styles (colour output is rich's, byte for byte).
SGR = {"bold": "1", "green": "32", "bold cyan": "1;36", "dim": "2"}


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
    if text.isascii() or all(c in NARROW for c in text):
        return len(text)
    from rich.cells import cell_len as measure  # here: only wide text needs its tables

    return measure(text)


def _cut(text: str, width: int) -> str:
    """`text` in at most `width` columns, ending in `…` when it was longer."""
    if cell_len(text) <= width:
        return text
    if text.isascii():
        return text[: width - 1] + ELLIPSIS
    from rich.cells import set_cell_size

    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS


def _widths(cols: Sequence[Col], rows: Sequence[Line]) -> list[int]:
    widths = [cell_len(c.header) for c in cols]
    for row in rows:
        for i, cell in enumerate(row.cells):
            widths[i] = max(widths[i], *(cell_len(x) for x in _lines(cell)))
    return widths


def fit(cols: Sequence[Col], rows: Sequence[Line], out: Output) -> tuple[list[Col], list[Line]]:
    """The columns and cells that fit `out.width`: shorten model names, then drop columns."""
    keep = [i for i, c in enumerate(cols) if c.compact or not out.compact]
    use_cols = [cols[i] for i in keep]
    use_rows = [Line([row.cells[i] for i in keep], row.kind) for row in rows]

    def total() -> int:
        return sum(_widths(use_cols, use_rows)) + GAP * (len(use_cols) - 1)

    if total() > out.width or out.compact:
        for row in use_rows:
            for i, col in enumerate(use_cols):
                cell = row.cells[i]
                if col.models:
                    names = [cell] if isinstance(cell, str) else cell
                    row.cells[i] = _shorten(names)
    while total() > out.width and any(c.drop for c in use_cols):
        worst = max(range(len(use_cols)), key=lambda i: (use_cols[i].drop, i))
        del use_cols[worst]
        for row in use_rows:
            del row.cells[worst]
    if total() > out.width:
        _squeeze(use_cols, use_rows, total() - out.width)
    return use_cols, use_rows


def _squeeze(cols: Sequence[Col], rows: Sequence[Line], excess: int) -> None:
    """Cut names (the widest first, to SQUEEZE_MIN) by `excess` columns, in place.

    Numbers, dates and times are never cut: a cost missing its last digit reads as another
    cost (rich's own shrinking did that to a 3 GB `blocks` total). What still does not fit
    runs past the terminal's width, whole.
    """
    widths = _widths(cols, rows)
    names = sorted(
        (i for i, c in enumerate(cols) if (c.squeeze or c.models) and not c.right),
        key=lambda i: -widths[i],
    )
    for i in names:
        take = min(excess, widths[i] - max(SQUEEZE_MIN, cell_len(cols[i].header)))
        if take <= 0:
            continue
        excess -= take
        width = widths[i] - take
        for row in rows:
            cell = row.cells[i]
            cut = [_cut(line, width) for line in _lines(cell)]
            row.cells[i] = cut[0] if isinstance(cell, str) else cut
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
    use_cols, use_rows = fit(cols, rows, out)
    widths = _widths(use_cols, use_rows)
    cells = [[_lines(c) for c in row.cells] for row in use_rows]
    # A table still too wide after `fit` runs past the width whole, in either layout.
    if widths and min(widths) > 0 and _plain(use_cols, cells):
        return Rendered("\n".join(_layout(use_cols, use_rows, cells, widths, out.color)))
    return render_rich(use_cols, use_rows, widths, out)


def _plain(cols: Sequence[Col], cells: Sequence[Sequence[Sequence[str]]]) -> bool:
    """Every header and cell printable ASCII or the table's marks: one character, one column."""
    texts = [c.header for c in cols] + [line for row in cells for cell in row for line in cell]
    return all(
        (t.isascii() or all(c in NARROW or c.isascii() for c in t)) and t.isprintable()
        for t in texts
    )


def _layout(
    cols: Sequence[Col],
    rows: Sequence[Line],
    cells: Sequence[Sequence[Sequence[str]]],
    widths: Sequence[int],
    color: bool,
) -> list[str]:
    """`render_rich`'s text for a table of narrow characters, without rich (~40x
    faster, and rich's import alone cost a report ~25 ms); tests keep the two equal."""
    last = len(cols) - 1

    def line(texts: Sequence[str | None], style: str) -> str:
        # Rich's layout: a cell, its one-space right padding (styled like the cell), then
        # an unstyled one-space divider; the last column has neither. Below a cell's last
        # line (None) rich writes the cell and its padding as one blank.
        parts = []
        for i, (col, text, width) in enumerate(zip(cols, texts, widths, strict=True)):
            pad = " " if i < last else ""
            if text is None:
                body = " " * width + pad
            else:
                # Rich drops a right-aligned cell's trailing blanks before aligning it.
                body = (text.rstrip().rjust(width) if col.right else text.ljust(width)) + pad
                if style and pad:
                    body = f"{body[:-1]}\x1b[0m\x1b[{style}m "
            parts.append(f"\x1b[{style}m{body}\x1b[0m{pad}" if style else body + pad)
        return "".join(parts).rstrip()

    out = [line([c.header for c in cols], SGR[STYLES["head"]] if color else "")]
    out.append("\u2500" * (sum(widths) + GAP * last))
    for row, row_cells in zip(rows, cells, strict=True):
        style = SGR[STYLES[row.kind]] if color and row.kind in STYLES else ""
        height = max(len(c) for c in row_cells) if row_cells else 1
        for k in range(height):
            out.append(line([c[k] if k < len(c) else None for c in row_cells], style))
    return out


def render_rich(
    use_cols: Sequence[Col], use_rows: Sequence[Line], widths: Sequence[int], out: Output
) -> Rendered:
    """The fitted table laid out by rich (wide characters)."""
    from rich import box  # imported here: most tables never need rich
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        header_style=STYLES["head"] if out.color else "",
    )
    for col, w in zip(use_cols, widths, strict=True):
        table.add_column(
            col.header,
            justify="right" if col.right else "left",
            no_wrap=True,
            overflow="ellipsis",
            min_width=w if col.right else min(w, 8),
        )
    for row in use_rows:
        style = STYLES.get(row.kind, "") if out.color else ""
        table.add_row(*(Text("\n".join(_lines(c))) for c in row.cells), style=style)
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=max(out.width, sum(widths) + GAP * (len(widths) - 1)),  # never shrunk by rich
        force_terminal=out.color,
        no_color=not out.color,
        color_system="standard" if out.color else None,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )
    console.print(table)
    return Rendered("\n".join(line.rstrip() for line in buf.getvalue().rstrip("\n").split("\n")))
