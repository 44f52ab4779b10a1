"""Plain read-only reads of the ledger for a reader beside the live service (the dashboard).

Such a reader must never migrate, recover or move the ledger (Ledger.open may) and never
hold a write lock, so it opens its own read-only SQLite connection.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from pathlib import Path

from tray_app.adapters.ledger import SessionMeta
from tray_app.adapters.ledger_recovery import RESPONSE_COLUMNS
from tray_app.usage.model import Entry


def _read_only(path: Path) -> sqlite3.Connection:
    uri = f"file:{urllib.parse.quote(str(path))}?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=5.0, check_same_thread=False)


def ledger_entries(path: Path) -> list[Entry]:
    """Every response stored in the ledger (the seed of a feed); none before it exists."""
    if not path.exists():
        return []
    con = _read_only(path)
    try:
        cursor = con.execute(f"SELECT {', '.join(RESPONSE_COLUMNS)}, '' FROM responses")
        return [Entry._make(row) for row in cursor]
    finally:
        con.close()


def ledger_sessions(path: Path) -> dict[str, SessionMeta]:
    """Session names and projects from the ledger."""
    if not path.exists():
        return {}
    con = _read_only(path)
    try:
        cursor = con.execute(
            "SELECT session_id, name, tags, description, project_path FROM sessions"
        )
        return {row[0]: SessionMeta(*row) for row in cursor}
    except sqlite3.OperationalError:  # not created yet (the service is starting)
        return {}
    finally:
        con.close()
