"""Whether another process wrote to the ledger: SQLite's data version for this connection.

`PRAGMA data_version` changes when another connection commits, never for this one's own
writes. The live view keeps its figures by applying what its own engine counts; a
response a CLI run counted first is no change for that engine, so the live view learns
of it here and starts again from the ledger's aggregates.
"""

from __future__ import annotations

from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import translated


def data_version(ledger: Ledger) -> int:
    """A number that moves whenever another connection has committed to the ledger."""
    with translated(ledger.path):
        row = ledger.db.execute_sql("PRAGMA data_version").fetchone()
    return int(row[0])
