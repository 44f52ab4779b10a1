"""Untrusted text made safe for terminals and desktops, and the rules for session names.

Names, tags, descriptions and transcript strings (cwd, model, session id) reach a
terminal, a CSV file, a tray menu or a notification. Escape sequences in them could set
the window title, clear the screen or forge lines; bidi overrides could reorder what the
user reads. `clean()` is applied on output (old ledgers and transcripts may hold anything);
`name_problem()` and `text_problem()` refuse such input before it is stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

ELLIPSIS = "…"
REPLACEMENT = "\ufffd"  # shows the user that something unprintable was there
NAME_MAX = 80
TAG_MAX = 40
DESCRIPTION_MAX = 500
# ESC/C1 sequences are removed whole (their payload, e.g. a window title, is not text):
# CSI, string commands (OSC, DCS, SOS, PM, APC) up to their terminator, and 2-byte escapes.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
# Line and paragraph breaks and tabs become spaces: a name must never start a new line.
_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
# Joiners shape emoji and Indic scripts and cannot reorder or control anything.
_ALLOWED_FORMAT = frozenset("\u200c\u200d")
_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # used rarely
# CSV cells starting with these are formulas in spreadsheets (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NON_ASCII = re.compile(r"[^\x00-\x7e]+")  # DEL and everything above ASCII


def _safe_char(ch: str) -> str:
    """One character as it may be shown: itself, a space, a marker or nothing."""
    if ch in _BREAKS:
        return " "
    category = unicodedata.category(ch)
    if category == "Cf":  # invisible format chars (bidi overrides, BOM): dropping hides nothing
        return ch if ch in _ALLOWED_FORMAT else ""
    if category in ("Cc", "Cs"):  # other controls, lone surrogates from odd file names
        return REPLACEMENT
    return ch


def clean(text: str, max_len: int | None = None) -> str:
    """`text` with no control chars, escape sequences or bidi overrides; capped with `…`."""
    if not text.isprintable():  # fast path: plain text (the vast majority) is kept as is
        text = "".join(_safe_char(ch) for ch in _SEQUENCE.sub("", text))
    if max_len is not None and len(text) > max_len:
        return text[: max(0, max_len - 1)] + ELLIPSIS
    return text


def csv_cell(text: str) -> str:
    """A cleaned CSV cell that a spreadsheet will not run as a formula."""
    if text.isprintable() and not text.startswith(_FORMULA_START):
        return text  # the common case, without a call into clean()
    text = clean(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def json_safe(encoded: str) -> str:
    """Serialized JSON with C1 controls, bidi and line separators as `\\uXXXX` (same value).

    JSON encoders escape only C0; the rest is valid JSON but a terminal may act on it.
    Outside strings JSON is ASCII (below DEL), so replacing these anywhere is lossless.
    """
    if encoded.isascii() and "\x7f" not in encoded:
        return encoded  # the encoder already escaped C0 (and ASCII is structure too)
    return _NON_ASCII.sub(_escape_run, encoded)  # only the (rare) non-ASCII runs are looked at


def _escape_run(match: re.Match[str]) -> str:
    run = match.group()
    return "".join(_json_escape(ch) if _is_unsafe(ch) else ch for ch in run)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON spells characters beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _is_unsafe(ch: str) -> bool:
    """A character no terminal or desktop should receive raw (joiners are harmless)."""
    if ch in _ALLOWED_FORMAT:
        return False
    return ch in _BREAKS or unicodedata.category(ch) in ("Cc", "Cf", "Cs")


def text_problem(text: str, what: str, max_len: int) -> str | None:
    """Why `text` cannot be stored as a `what` (control chars, too long), or None."""
    bad = sorted({ch for ch in text if _is_unsafe(ch)})
    if bad:
        shown = ", ".join(f"U+{ord(ch):04X}" for ch in bad[:4])
        return f"the {what} contains control characters ({shown}); use plain text"
    if len(text) > max_len:
        return f"the {what} has {len(text)} characters; at most {max_len} are allowed"
    return None


def looks_like_id(name: str, session_ids: Iterable[str]) -> str | None:
    """The id `name` could be mistaken for (a uuid, or a unique prefix of a known id)."""
    folded = name.casefold()
    if re.match(_UUID, folded):
        return folded
    matches = [sid for sid in session_ids if sid.casefold().startswith(folded)]
    return matches[0] if len(matches) == 1 else None


def name_problem(
    name: str, session_id: str, names: Mapping[str, str], session_ids: Iterable[str]
) -> str | None:
    """Why `name` cannot name `session_id` (given the other names and ids), or None.

    "" (clearing the name) is always allowed; the name is judged as stored (stripped).
    """
    name = name.strip()
    if not name:
        return None
    problem = text_problem(name, "name", NAME_MAX)
    if problem is not None:
        return problem
    folded = name.casefold()
    for other, other_name in sorted(names.items()):
        if other != session_id and other_name.strip().casefold() == folded:
            return f"session {other[:8]} is already named {clean(other_name)!r}; pick another name"
    lookalike = looks_like_id(name, session_ids)
    if lookalike is not None:
        return (
            f"{name!r} looks like a session id ({lookalike[:8]}…); a name must not be "
            "mistaken for an id"
        )
    return None
