"""The tray tells the user once what opening the ledger found (it only logged it before)."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.ui.factories import idle
from tray_app.adapters.ledger import Ledger
from tray_app.ui.ledger_notice import TITLE, LedgerNotice


class Recorder:
    """A notifier's send(): remembers every call, signals the first."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.first = threading.Event()

    def send(self, title: str, body: str) -> bool:
        self.sent.append((title, body))
        self.first.set()
        return True


def test_a_ledger_started_afresh_is_told_once(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    db.write_bytes(b"")  # SQLite's empty database: started afresh, with a note
    ledger = Ledger.open(db)
    ledger.close()
    (note,) = ledger.notes
    sent = Recorder()
    notice = LedgerNotice(lambda: ledger.notes, sent.send)
    notice.on_snapshot(idle())
    assert sent.first.wait(5)
    notice.on_snapshot(idle())
    notice.on_snapshot(idle())
    assert sent.sent == [(TITLE, note)]
    assert "started afresh" in note and str(db) in note


def test_a_healthy_ledger_says_nothing(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.close()
    sent = Recorder()
    notice = LedgerNotice(lambda: ledger.notes, sent.send)
    notice.on_snapshot(idle())
    assert not sent.first.wait(0.3)
    assert ledger.notes == [] and sent.sent == []
