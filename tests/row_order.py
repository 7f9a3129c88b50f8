"""Make every read that states no order come back in another order than the rows were written, on both
backends, so a test can show that a page, a PDF or an export does not depend on luck.

- SQLite answers an unordered SELECT in rowid order, the order of insertion: ``PRAGMA
  reverse_unordered_selects`` (made for exactly this) reverses it on every connection from now on.
- PostgreSQL answers in physical order, which an UPDATE changes (the new row version goes to the end):
  every row is rewritten, newest first, so the heap holds them in reverse.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from surveyapp.db import Model, db

#: Tables a database trigger may protect from any UPDATE (a published notice revision never changes).
UNTOUCHED = {"notice_revision"}


def reverse_row_order() -> None:
    """Call with the test's application context; commits the test's session first (its objects stay
    usable: they are read again, in the new order, on their next use)."""
    db.session.commit()
    engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _reverse_sqlite)
        engine.dispose()  # the pooled connections would keep the old order
        return
    with engine.begin() as conn:
        for table in Model.metadata.sorted_tables:
            if table.name in UNTOUCHED:
                continue
            column = next((c for c in table.columns if not c.primary_key), next(iter(table.columns)))
            ctids = conn.scalars(sa.text(f'SELECT ctid::text FROM "{table.name}"')).all()
            for ctid in reversed(ctids):
                conn.execute(sa.text(f'UPDATE "{table.name}" SET "{column.name}" = "{column.name}" '
                                     "WHERE ctid = CAST(:ctid AS tid)"), {"ctid": ctid})


def _reverse_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA reverse_unordered_selects = ON")
    cursor.close()
