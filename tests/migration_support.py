"""A warehouse "written by the version on main before Alembic" (commit 5413623), for the
migration tests: the baseline revision's frozen schema, filled with the rows of the seeded
sample warehouse (every column that version had)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa

MIGRATIONS = Path(__file__).resolve().parent.parent / "warehouse" / "migrations" / "versions"


def baseline_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("baseline", MIGRATIONS / "0001_baseline.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_main_warehouse(target_url: str, source_url: str) -> dict[str, list[dict]]:
    """Create the baseline schema at ``target_url`` and copy ``source_url``'s rows into it.
    Returns the rows written, per table (the "before" picture)."""
    old = baseline_module().baseline_metadata()
    source = sa.create_engine(source_url)
    target = sa.create_engine(target_url)
    old.create_all(target)
    written: dict[str, list[dict]] = {}
    with source.connect() as src, target.begin() as dst:
        for table in old.sorted_tables:
            # The old table's own types read the source (a superset of its columns).
            rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
            if rows:
                dst.execute(table.insert(), rows)
            written[table.name] = rows
        if dst.dialect.name == "postgresql":
            # Explicit ids do not move the sequences: the next insert would collide.
            for name in ("submissions", "pooling_opportunities"):
                dst.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                )
    source.dispose()
    target.dispose()
    return written
