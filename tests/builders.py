"""Builders for transcript lines and entries (tests write real JSONL files with them)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tray_app.usage.model import Entry

T0 = datetime(2026, 2, 10, 21, 11, 59, tzinfo=UTC)


def ts(minutes: float = 0.0) -> str:
    """An ISO timestamp `minutes` after T0."""
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def assistant(
    msg_id: str = "msg_1",
    output: int = 10,
    *,
    minutes: float = 0.0,
    session: str = "sess-1",
    request: str | None = "req_1",
    model: str = "claude-opus-4-6",
    input_tokens: int = 3,
    cache_5m: int = 0,
    cache_1h: int = 0,
    cache_read: int = 0,
    sidechain: bool = False,
    cwd: str = "/home/u/proj",
    **extra_usage: Any,
) -> dict[str, Any]:
    """A top-level assistant line with usage."""
    usage: dict[str, Any] = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_5m + cache_1h,
        "cache_read_input_tokens": cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": cache_5m,
            "ephemeral_1h_input_tokens": cache_1h,
        },
        "output_tokens": output,
        **extra_usage,
    }
    line: dict[str, Any] = {
        "parentUuid": None,
        "isSidechain": sidechain,
        "cwd": cwd,
        "sessionId": session,
        "version": "2.1.38",
        "message": {
            "model": model,
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": 'hello "usage": {} world'}],
            "usage": usage,
        },
        "type": "assistant",
        "uuid": f"u-{msg_id}-{output}-{session}",
        "timestamp": ts(minutes),
    }
    if request is not None:
        line["requestId"] = request
    return line


def progress_copy(inner: dict[str, Any], session: str = "sess-1") -> dict[str, Any]:
    """A `progress` line embedding a subagent's assistant message (agent_progress)."""
    return {
        "type": "progress",
        "sessionId": session,
        "cwd": inner.get("cwd", ""),
        "data": {
            "type": "agent_progress",
            "agentId": "a1",
            "message": {
                "type": "assistant",
                "message": inner["message"],
                "requestId": inner.get("requestId"),
                "uuid": "p-" + inner["uuid"],
                "timestamp": inner["timestamp"],
            },
        },
        "uuid": "pp-" + inner["uuid"],
        "timestamp": inner["timestamp"],
    }


def user(text: str = "hi", minutes: float = 0.0, session: str = "sess-1") -> dict[str, Any]:
    """A user line (no usage)."""
    return {
        "type": "user",
        "sessionId": session,
        "message": {"role": "user", "content": text},
        "timestamp": ts(minutes),
        "uuid": f"user-{minutes}",
    }


def write_jsonl(path: Path, lines: list[dict[str, Any] | bytes | str], mode: str = "w") -> Path:
    """Write lines (dicts as compact JSON, bytes/str raw) each followed by a newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode + "b") as handle:
        for line in lines:
            if isinstance(line, dict):
                handle.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
            elif isinstance(line, str):
                handle.write(line.encode() + b"\n")
            else:
                handle.write(line + b"\n")
    return path


def entry(
    minutes: float = 0.0,
    tokens: int = 100,
    key: str | None = None,
    model: str = "claude-opus-4-6",
    session: str = "s",
    output: int = 0,
) -> Entry:
    """An Entry at T0 + minutes with `tokens` input tokens."""
    t = (T0 + timedelta(minutes=minutes)).timestamp()
    return Entry(
        key or f"k{minutes}-{tokens}", t, session, model, input_tokens=tokens, output_tokens=output
    )


def real_fixtures() -> Path:
    """The shared real transcripts: `TOKEN_MONITOR_FIXTURES`, `../shared`, or /work/shared."""
    candidates = [
        os.environ.get("TOKEN_MONITOR_FIXTURES", ""),
        str(Path(__file__).resolve().parents[1].parent / "shared/fixtures/claude-code-real"),
        "/work/shared/fixtures/claude-code-real",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path(candidates[1])


REAL_FIXTURES = real_fixtures()
