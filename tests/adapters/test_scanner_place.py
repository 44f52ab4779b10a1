"""A file's place (the id of id-less lines) is the same by text as by pathlib: ids never move."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tray_app.adapters.discovery import Roots
from tray_app.adapters.scanner import Engine
from tray_app.adapters.transcript import file_place

SEGMENT = st.text(
    st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",))
    | st.sampled_from(["\udcff", "\udc80", " ", "é", "\\"]),
    min_size=1,
    max_size=8,
).filter(lambda s: s not in (".", ".."))
ROOT = st.sampled_from(["/", "/home/u/.claude/projects", "/tmp/x y/projects", "rel/projects", "."])


def by_pathlib(path: Path, roots: tuple[Path, ...]) -> str:
    """What Engine.place gave before: the first root the path is inside, via pathlib."""
    text = str(path)
    root = next((r for r in roots if text.startswith(str(r).rstrip("/") + "/")), None)
    return file_place(path, root)


@given(st.lists(ROOT, min_size=1, max_size=3, unique=True), st.lists(SEGMENT, max_size=4),
       st.booleans(), st.integers(0, 2))  # fmt: skip
def test_place_by_text_equals_place_by_pathlib(
    roots: list[str], parts: list[str], inside: bool, which: int
) -> None:
    dirs = tuple(Path(r) for r in roots)
    base = dirs[which % len(dirs)] if inside else Path("/elsewhere")
    path = Path(base, *parts, "s.jsonl")
    engine = Engine(Roots(dirs))
    assert engine.place(path) == by_pathlib(path, dirs)
    if inside and base != Path("."):
        assert engine.place(path) == file_place(path, base) or len(dirs) > 1


def test_a_transcript_keeps_its_place_below_its_root() -> None:
    engine = Engine(Roots((Path("/a/projects"), Path("/b/projects"))))
    same = engine.place(Path("/a/projects/p/s.jsonl"))
    assert same == engine.place(Path("/b/projects/p/s.jsonl"))  # seen through either root
    assert same == file_place(Path("p/s.jsonl"))
    assert engine.place(Path("/c/p/s.jsonl")) == file_place(Path("/c/p/s.jsonl"))
