"""Quoting command lines for the Desktop Entry spec (Exec=) and for Windows (Run key)."""

from __future__ import annotations

import re
from collections.abc import Sequence

_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")  # Desktop Entry spec: quote these
_STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
_EXEC_TOKEN = re.compile(r'"((?:\\.|[^"\\])*)"|([^ "]+)|( +)', re.S)
_WIN_TOKEN = re.compile(r'(\\*)"|([ \t]+)|\\+|[^\\" \t]+')
_STRING_ESCAPED = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def string_escape(value: str) -> str:
    """Desktop Entry `string` escaping (applied after Exec quoting)."""
    return re.sub(r"[\\\n\t\r]", lambda m: _STRING_ESCAPED[m[0]], value)


def string_unescape(value: str) -> str:
    """Undo Desktop Entry `string` escaping."""
    return re.sub(r"\\(.)", lambda m: _STRING_ESCAPES.get(m[1], m[0]), value, flags=re.S)


def exec_quote(command: Sequence[str]) -> str:
    """An Exec value (before string escaping): reserved characters in double quotes, % doubled."""
    args = [a.replace("%", "%%") for a in command]
    return " ".join(
        a if a and not _RESERVED.intersection(a) else '"' + re.sub(r'([\\"`$])', r"\\\1", a) + '"'
        for a in args
    )


def exec_split(value: str) -> list[str]:
    """The arguments of an unescaped Exec value (the inverse of `exec_quote`)."""
    args: list[str] = []
    current: str | None = None  # None between arguments; "" is an empty quoted one
    for m in _EXEC_TOKEN.finditer(value):
        if m[3] and current is not None:
            args.append(current)
        piece = None if m[3] else m[2] or re.sub(r"\\(.)", r"\1", m[1] or "", flags=re.S)
        current = None if piece is None else (current or "") + piece
    args += [] if current is None else [current]
    return [a.replace("%%", "%") for a in args]


def windows_split(line: str) -> list[str]:
    """Arguments of a Windows command line (MS C runtime rules; inverse of list2cmdline)."""
    args: list[str] = []
    current: str | None = None
    quoted = False
    for m in _WIN_TOKEN.finditer(line + " "):
        if m[2] is not None and not quoted:
            args += [] if current is None else [current]
            current = None
        elif m[1] is not None:  # backslashes only escape when a quote follows
            quoted ^= len(m[1]) % 2 == 0
            current = (current or "") + "\\" * (len(m[1]) // 2) + '"' * (len(m[1]) % 2)
        else:
            current = (current or "") + m[0]
    return args
