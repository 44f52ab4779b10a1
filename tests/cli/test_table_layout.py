"""The plain table layout is rich's, byte for byte, with and without colour; a table too
wide cuts names, never numbers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tray_app.cli.table import SQUEEZE_MIN, Col, Line, Output, _cut, _lines, _widths, fit, render
from tray_app.cli.table_layout import GAP, NARROW, narrow, plain_layout, rich_layout

CHARS = st.one_of(
    st.characters(min_codepoint=32, max_codepoint=126), st.sampled_from(sorted(NARROW))
)
TEXT = st.text(CHARS, max_size=14)
CELL = st.one_of(TEXT, st.lists(TEXT, max_size=3))
KINDS = st.sampled_from(["", "total", "group", "sub", "gap", "active"])


@st.composite
def tables(
    draw: st.DrawFn, cell: st.SearchStrategy[object] = CELL
) -> tuple[list[Col], list[Line], Output]:
    count = draw(st.integers(1, 6))
    cols = [
        Col(draw(TEXT), right=draw(st.booleans()), drop=draw(st.integers(0, 2)),
            compact=draw(st.booleans()), models=draw(st.booleans()), squeeze=draw(st.booleans()))
        for _ in range(count)
    ]  # fmt: skip
    rows = [
        Line(draw(st.lists(cell, min_size=count, max_size=count)), draw(KINDS))
        for _ in range(draw(st.integers(0, 5)))
    ]
    out = Output(width=draw(st.integers(20, 140)), color=draw(st.booleans()),
                 compact=draw(st.booleans()))  # fmt: skip
    return cols, rows, out


@settings(max_examples=400, deadline=None)
@given(tables())
def test_plain_layout_is_richs(table: tuple[list[Col], list[Line], Output]) -> None:
    cols, rows, out = table
    use_cols, use_rows = fit(cols, rows, out)
    widths = _widths(use_cols, use_rows)
    cells = [[_lines(c) for c in row.cells] for row in use_rows]
    if widths and min(widths) > 0 and narrow(use_cols, cells):
        plain = "\n".join(plain_layout(use_cols, use_rows, cells, widths, out.color))
        assert plain == rich_layout(use_cols, use_rows, cells, widths, out)


@settings(max_examples=200, deadline=None)
@given(tables())
def test_render_is_the_layout_with_group_headings_on_their_own_lines(
    table: tuple[list[Col], list[Line], Output],
) -> None:
    cols, rows, out = table
    if not fit(cols, rows, out)[0]:
        return  # no column left to show (a table always keeps its first)
    text = render(cols, rows, Output(out.width, False, out.compact)).split("\n")
    headed = [r for r in rows if r.kind == "group" and isinstance(r.cells[0], str)
              and r.cells[0] and not any(r.cells[1:])]  # fmt: skip
    for row in headed:
        assert _cut(_lines(row.cells[0])[0], max(out.width, SQUEEZE_MIN)) in text


def test_a_long_project_heading_does_not_widen_the_first_column() -> None:
    cols = [Col("Month", right=False), Col("Models", right=False, models=True), Col("Cost")]
    rows = [
        Line(["/home/dev/work/a-very-long-project-name-that-goes-on-and-on", "", ""], "group"),
        Line(["2026-02", "sonnet-4-5", "$1,234.56"]),
    ]
    text = render(cols, rows, Output(width=40)).split("\n")
    heading = "/home/dev/work/a-very-long-project-name-that-goes-on-and-on"
    assert text[2] == heading[:39] + "\u2026"  # on its own line, cut to the width
    assert text[3] == "2026-02  sonnet-4-5  $1,234.56"
    coloured = render(cols, rows, Output(width=40, color=True)).split("\n")
    assert coloured[2] == f"\x1b[1;36m{heading[:39]}\u2026\x1b[0m"


def test_a_name_column_is_cut_before_it_would_be_dropped() -> None:
    cols = [Col("Session", right=False), Col("Name", right=False, drop=5, squeeze=True),
            Col("Total")]  # fmt: skip
    rows = [Line(["0d9debd1", "refactor the ledger write path", "58,612,807"])]
    text = render(cols, rows, Output(width=40)).split("\n")
    assert text[2] == "0d9debd1  refactor the ledg\u2026  58,612,807"  # 40 columns
    assert render(cols, rows, Output(width=24)).split("\n")[2] == "0d9debd1  58,612,807"


@settings(max_examples=300, deadline=None)
@given(tables(st.text("0123456789,.$%", min_size=1, max_size=16)))
def test_numbers_are_never_cut_and_names_give_way(
    table: tuple[list[Col], list[Line], Output],
) -> None:
    cols, rows, out = table
    use_cols, use_rows = fit(cols, rows, out)
    for j, col in enumerate(use_cols):
        if col.right and not col.models:  # a number column (right-aligned) comes through whole
            i = next(i for i, c in enumerate(cols) if c is col)
            assert [r.cells[j] for r in use_rows] == [r.cells[i] for r in rows]
    widths = _widths(use_cols, use_rows)
    if sum(widths) + GAP * (len(widths) - 1) > out.width:
        # Too wide only when every name is already as short as it may get.
        for j, col in enumerate(use_cols):
            if (col.squeeze or col.models) and not col.right:
                assert widths[j] <= max(SQUEEZE_MIN, len(col.header))


def test_a_report_table_in_colour() -> None:
    cols = [Col("Date", right=False), Col("Models", right=False), Col("Cost")]
    rows = [
        Line(["2025-11-29", ["opus-4-6", "\u2514\u2500 sonnet-4-5"], "$2.00"]),
        Line(["Total", "", "$1.00"], "total"),
    ]
    text = render(cols, rows, Output(width=80, color=True)).split("\n")
    assert text[0] == (
        "\x1b[1mDate      \x1b[0m\x1b[1m \x1b[0m \x1b[1mModels       \x1b[0m\x1b[1m \x1b[0m "
        "\x1b[1m Cost\x1b[0m"
    )
    assert text[1] == "\u2500" * (10 + 13 + 5 + 2 * GAP)
    assert text[2:4] == ["2025-11-29  opus-4-6       $2.00", "            \u2514\u2500 sonnet-4-5"]
    assert text[4].startswith("\x1b[1mTotal     \x1b[0m")


def test_a_3_gb_blocks_total_keeps_every_digit_at_80_columns() -> None:
    # The shape that rich cut to "$16,970.9": the model names give way instead.
    cols = [Col("Start", right=False), Col("End", right=False), Col("State", right=False),
            Col("Models", right=False, models=True), Col("Tokens"), Col("Cost")]  # fmt: skip
    rows = [
        Line(
            [
                "2026-02-27 12:00",
                "19:00",
                "",
                ["sonnet-4-5", "opus-4-6"],
                "1,888,059,481",
                "$1,317.84",
            ]
        ),
        Line(["2026-02-27 20:04", "2026-11-29 19:09", "gap", "", "", ""], "gap"),
        Line(["Total", "", "", "", "24,317,994,003", "$16,970.95"], "total"),
    ]
    text = render(cols, rows, Output(width=80)).split("\n")
    assert max(len(line) for line in text) == 80
    assert text[-1].endswith("24,317,994,003  $16,970.95")
    assert "sonnet-4\u2026" in text[2] and "$1,317.84" in text[2]


def test_wide_characters_go_through_rich_and_are_measured() -> None:
    cols = [Col("Name", right=False), Col("N")]
    wide = render(cols, [Line(["\u8a9e\u8a9e", "1"])], Output(width=80))
    assert wide.split("\n")[2] == "\u8a9e\u8a9e  1"  # two columns per character
    squeezed = render(
        [Col("Name", right=False, squeeze=True), Col("N")],
        [Line(["\u8a9e" * 30, "12345"])],
        Output(width=20),
    )
    assert squeezed.split("\n")[2].endswith("\u2026  12345")
