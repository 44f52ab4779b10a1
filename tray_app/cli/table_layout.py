"""A fitted table as text: our own layout for narrow characters, rich's for wide ones.

Both write the same bytes (tests/cli/test_table_layout.py compares them, colour codes
included): rich's import and layout had cost a table command 30-170 ms more than its
`--json`, so rich is only asked to measure and lay out wide (CJK) text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tray_app.cli.table import Col, Line, Output

GAP = 2  # columns between two columns: a cell's right padding and the divider
STYLES = {
    "head": "bold",
    "total": "bold",
    "active": "green",
    "group": "bold cyan",
    "sub": "dim",
    "gap": "dim",
}
# The SGR parameters rich writes for those styles.
SGR = {"bold": "1", "green": "32", "bold cyan": "1;36", "dim": "2"}
# One column each, as rich counts them too: the table's own marks need no width tables.
NARROW = frozenset("\u2026\u2500\u2514\u251c\u2502")  # … ─ └ ├ │
Cells = Sequence[Sequence[Sequence[str]]]  # rows of cells of (cleaned) lines


def is_narrow(text: str) -> bool:
    """Every character of `text` takes one terminal column (ASCII or the table's marks)."""
    return text.isascii() or all(c.isascii() or c in NARROW for c in text)


def narrow(cols: Sequence[Col], cells: Cells) -> bool:
    """Every header and cell line printable and narrow: one character, one column."""
    texts = [c.header for c in cols] + [line for row in cells for cell in row for line in cell]
    return all(is_narrow(t) and t.isprintable() for t in texts)


def plain_layout(
    cols: Sequence[Col],
    rows: Sequence[Line],
    cells: Cells,
    widths: Sequence[int],
    color: bool,
) -> list[str]:
    """`rich_layout`'s lines for a table of narrow characters, without rich (~40x faster;
    its import alone cost a report ~25 ms)."""
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


def rich_layout(
    use_cols: Sequence[Col],
    use_rows: Sequence[Line],
    cells: Cells,
    widths: Sequence[int],
    out: Output,
) -> str:
    """The fitted table laid out by rich (for wide characters), never shrunk by it."""
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
    for row, row_cells in zip(use_rows, cells, strict=True):
        style = STYLES.get(row.kind, "") if out.color else ""
        table.add_row(*(Text("\n".join(c)) for c in row_cells), style=style)
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
    return "\n".join(line.rstrip() for line in buf.getvalue().rstrip("\n").split("\n"))
