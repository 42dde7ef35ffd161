"""The database fixture itself: each test gets an empty, isolated warehouse on both engines."""

from __future__ import annotations

import sqlalchemy as sa


def test_each_database_starts_empty(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO probe VALUES (1)"))
        assert conn.execute(sa.text("SELECT count(*) FROM probe")).scalar_one() == 1
    engine.dispose()
