"""Where the warehouse lives and how to connect to it.

One SQLAlchemy URL chooses the database (DESIGN §4): an explicit ``--database-url``,
else ``CHU_BENCH_DATABASE_URL``, else an SQLite file under ``data/``. PostgreSQL
goes through psycopg 3.

The dashboard, the CLI and the Dagster daemon may use the same SQLite file at the
same time, so SQLite connections run in WAL mode (readers never block the writer),
wait for a lock instead of failing at once, and enforce foreign keys.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from expectations.reference import PROJECT_ROOT
from warehouse.migrations import upgrade_to_head
from warehouse.private_files import ensure_private_file

DATABASE_URL_ENV = "CHU_BENCH_DATABASE_URL"
DEFAULT_DATABASE_PATH = PROJECT_ROOT / "data" / "warehouse.sqlite"
# How long an SQLite writer waits for another one before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option asking for a write transaction (see _install_sqlite_hooks).
_WRITE_OPTION = "chu_bench_write"

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def normalise_database_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here (SQLAlchemy would pick
    psycopg2, which the project does not install)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def resolve_database_url(explicit: str | None = None) -> str:
    """The database to use: ``explicit`` > env ``CHU_BENCH_DATABASE_URL`` > the default
    SQLite file ``data/warehouse.sqlite`` (its folder is created when missing)."""
    url = explicit or os.environ.get(DATABASE_URL_ENV) or None
    if url is None:
        DEFAULT_DATABASE_PATH.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DEFAULT_DATABASE_PATH}"
    return normalise_database_url(url.strip())


def _sqlite_file(url: sa.URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _install_sqlite_hooks(engine: Engine, in_memory: bool) -> None:
    """Pragmas on every new connection, and explicit BEGINs.

    pysqlite starts its transactions lazily, at the first write, so the reads that
    precede a write (the idempotency check, the current submission) would not be
    in the transaction. We take control of BEGIN instead (the recipe of the
    SQLAlchemy SQLite docs); write transactions use BEGIN IMMEDIATE so that two
    writers queue on the busy timeout rather than fail half-way with "database is
    locked" when upgrading a read lock.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL stays consistent after a crash and is much faster than FULL.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (resolved with :func:`resolve_database_url`), its schema created
    or upgraded to the latest Alembic revision (``warehouse.migrations``; safe when several
    processes open a new warehouse at once). Engines are cached per URL: repeated calls
    share one pool."""
    resolved = resolve_database_url(url)
    with _engines_lock:
        engine = _engines.get(resolved)
        if engine is not None:
            return engine
        parsed = make_url(resolved)
        if parsed.get_backend_name() == "sqlite":
            path = _sqlite_file(parsed)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                # SEC (7.7): raw files and password hashes, owner-only from the start
                # (SQLite gives its -wal/-shm files the database file's mode).
                ensure_private_file(path)
            engine = sa.create_engine(
                resolved, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            )
            _install_sqlite_hooks(engine, in_memory=path is None)
        else:
            # pre_ping: the dashboard keeps connections for hours; a restarted server
            # must not surface as an error on the next click.
            engine = sa.create_engine(resolved, pool_pre_ping=True)
        _repair_unique_sha256(engine)
        upgrade_to_head(engine)
        _engines[resolved] = engine
        return engine


def _sha256_alone_is_unique(conn: Connection) -> str | None:
    """The name of a unique constraint on ``submissions.sha256`` alone (warehouses created
    before a submission was identified by its bytes *and* its sender), else None."""
    if conn.dialect.name == "sqlite":
        for row in conn.exec_driver_sql("PRAGMA index_list(submissions)").all():
            name, unique, origin = row[1], row[2], row[3]
            if unique and origin == "u":
                columns = [r[2] for r in conn.exec_driver_sql(f"PRAGMA index_info('{name}')")]
                if columns == ["sha256"]:
                    return str(name)
        return None
    for constraint in sa.inspect(conn).get_unique_constraints("submissions"):
        if constraint["column_names"] == ["sha256"]:
            return constraint["name"]
    return None


def _repair_unique_sha256(engine: Engine) -> None:
    """A warehouse older than the Alembic baseline (before submissions were identified by
    their bytes *and* their sender) has a unique constraint on ``submissions.sha256`` alone:
    it becomes the unique index on (sha256, sender_chu) of the baseline, keeping every row,
    before the baseline stamp. SQLite cannot drop a column constraint: the table is rebuilt
    (the documented 12-step procedure), foreign keys off, in one transaction."""
    from warehouse.schema import submissions

    with engine.connect() as conn:
        if "submissions" not in sa.inspect(conn).get_table_names():
            conn.rollback()
            return
        name = _sha256_alone_is_unique(conn)
        conn.rollback()
        if name is None:
            return
        if conn.dialect.name != "sqlite":
            with conn.begin():
                conn.exec_driver_sql(f'ALTER TABLE submissions DROP CONSTRAINT "{name}"')
                for index in submissions.indexes:
                    index.create(conn, checkfirst=True)
            return
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, or it is ignored
        try:
            create = str(sa.schema.CreateTable(submissions).compile(dialect=engine.dialect))
            create = create.replace("CREATE TABLE submissions", "CREATE TABLE submissions_new", 1)
            columns = ", ".join(c.name for c in submissions.c)
            raw.execute("BEGIN IMMEDIATE")
            try:
                raw.execute(create)
                raw.execute(
                    f"INSERT INTO submissions_new ({columns}) SELECT {columns} FROM submissions"
                )
                raw.execute("DROP TABLE submissions")
                raw.execute("ALTER TABLE submissions_new RENAME TO submissions")
                for index in submissions.indexes:
                    raw.execute(str(sa.schema.CreateIndex(index).compile(dialect=engine.dialect)))
                if raw.execute("PRAGMA foreign_key_check").fetchall():
                    raise RuntimeError("Clés étrangères incohérentes après la mise à jour.")
                raw.execute("COMMIT")
            except BaseException:
                raw.execute("ROLLBACK")
                raise
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def dispose_engines() -> None:
    """Close every cached engine (tests, and processes that fork)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a write: committed at the end, rolled back on any exception.

    SQLite: BEGIN IMMEDIATE (writers queue instead of failing). PostgreSQL: ordinary
    READ COMMITTED transaction; callers lock what they need (see submissions.py).
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            yield conn


def connect(bind: Engine | Connection) -> AbstractContextManager[Connection]:
    """A connection for reading: the given one (inside a caller's transaction) or a new one."""
    if isinstance(bind, Connection):
        return nullcontext(bind)
    return bind.connect()


def is_postgresql(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"
