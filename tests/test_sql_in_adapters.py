"""SQL stays inside tray_app/adapters: no other layer runs a statement on the ledger.

(import-linter forbids importing sqlite3/peewee elsewhere; this catches a statement run
through an adapter's connection, e.g. `ledger.db.execute_sql(...)` in a command.)
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tray_app"
STATEMENT = re.compile(
    r"\.(execute_sql|execute|executemany|executescript)\(|\b(SELECT|INSERT INTO|DELETE FROM)\s"
)


def test_no_sql_outside_adapters() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "adapters"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if STATEMENT.search(line)
    ]
    assert found == []
