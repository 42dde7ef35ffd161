"""Alembic environment of the warehouse.

``make_engine`` (``warehouse.migrations.upgrade_to_head``) hands over its own connection,
already inside the transaction that holds the schema lock; the ``alembic`` command line
(``.venv/bin/alembic -c alembic.ini …``, for writing revisions) connects to the URL that
``warehouse.engine.resolve_database_url`` gives. ``render_as_batch``: SQLite cannot alter
a column or a constraint in place; batch mode rebuilds the table instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from warehouse.schema import metadata

config = context.config


def _configure(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
else:
    from warehouse.engine import resolve_database_url

    engine = sa.create_engine(resolve_database_url(config.get_main_option("sqlalchemy.url")))
    with engine.begin() as conn:
        _configure(conn)
    engine.dispose()
