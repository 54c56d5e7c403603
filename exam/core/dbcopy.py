"""Copies of the database for ``exam.core.backup``: ``pg_dump``/``pg_restore`` for PostgreSQL,
SQLite's online backup API for SQLite, and the facts a copy is checked by (the Alembic revision
and the rows of each table).

The PostgreSQL tools are found on the PATH and get the connection from libpq's environment
variables, never from their arguments, so no password shows in a process list.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL, Connection, Engine

KINDS = ("postgresql", "sqlite")

#: libpq's environment variable for each connection parameter a database URL may carry.
LIBPQ_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",  # noqa: S105 - a variable's name
    "dbname": "PGDATABASE",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "client_encoding": "PGCLIENTENCODING",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "channel_binding": "PGCHANNELBINDING",
    "gssencmode": "PGGSSENCMODE",
    "krbsrvname": "PGKRBSRVNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class BackupError(Exception):
    """A backup, a check or a restore cannot go on; the message says why."""


def database_kind(url: URL) -> str:
    """``postgresql`` or ``sqlite``; any other database is refused."""
    kind = url.get_backend_name()
    if kind not in KINDS:
        raise BackupError(f"backups know PostgreSQL and SQLite, not {kind}")
    return kind


def libpq_environment(url: URL) -> dict[str, str]:
    """The environment pg_dump and pg_restore connect with, taken from a SQLAlchemy URL."""
    values = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
    }
    for key, value in url.query.items():
        if key not in LIBPQ_ENV or not isinstance(value, str):
            raise BackupError(f"the database URL's parameter {key!r} is not one libpq knows")
        values[key] = value
    env = dict(os.environ)
    env.update({LIBPQ_ENV[key]: str(value) for key, value in values.items() if value is not None})
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on the PATH (Debian: apt-get install postgresql-client)")
    return path


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()}")
    return done.stdout


def row_counts(conn: Connection) -> dict[str, int]:
    """The number of rows of each table of the default schema."""
    return {
        name: conn.scalar(select(func.count()).select_from(table(name)))
        for name in sorted(inspect(conn).get_table_names())
    }


def alembic_revision(conn: Connection) -> str | None:
    """The revision the database is at (heads joined by commas), or None before any."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    heads = conn.scalars(text("SELECT version_num FROM alembic_version")).all()
    return ",".join(sorted(heads)) or None


def dump_postgres(engine: Engine, target: Path) -> tuple[str | None, dict[str, int]]:
    """pg_dump in the snapshot of a transaction that counts the rows meanwhile."""
    pg_dump = _tool("pg_dump")
    options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with engine.connect() as conn, conn.execution_options(**options).begin():
        snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
        revision, counts = alembic_revision(conn), row_counts(conn)
        # The transaction stays open until pg_dump is done: its snapshot is pg_dump's.
        _run(
            [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", "-f", target],
            libpq_environment(engine.url),
        )
    return revision, counts


def sqlite_path(url: URL) -> Path:
    """The file of a SQLite URL (an in-memory database has none to back up)."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"not a SQLite database file: {url.database!r}")
    return Path(url.database)


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy with SQLite's online backup API: consistent while others write."""
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    reader = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()


def sqlite_facts(path: Path) -> tuple[str | None, dict[str, int]]:
    """The revision and row counts of a SQLite file, once SQLite finds it sound."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            check = conn.scalar(text("PRAGMA integrity_check"))
            if check != "ok":
                raise BackupError(f"the SQLite copy is damaged: {check}")
            return alembic_revision(conn), row_counts(conn)
    finally:
        engine.dispose()


def database_facts(engine: Engine) -> tuple[str | None, dict[str, int]]:
    """The revision and row counts of a database, as the manifest has them."""
    with engine.connect() as conn:
        return alembic_revision(conn), row_counts(conn)


def check_pg_dump(dump: Path, tables: dict[str, int]) -> None:
    """pg_restore reads the dump's table of contents; every table has its data in it."""
    listing = _run([_tool("pg_restore"), "--list", str(dump)], dict(os.environ))
    with_data = {
        parts[-2]
        for line in listing.splitlines()
        if " TABLE DATA " in line and len(parts := line.split()) >= 2
    }
    missing = sorted(set(tables) - with_data)
    if missing:
        raise BackupError(f"the dump lacks the data of: {', '.join(missing)}")


def known_revision(migrations: Path, revision: str | None) -> str | None:
    """The head to upgrade to when the archive's revision is older; refuses an unknown one
    (an archive from a newer Anpei)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory(str(migrations))
    head = script.get_current_head()
    try:
        for name in (revision or "").split(","):
            if name:
                script.get_revision(name)
    except CommandError as error:
        raise BackupError(
            f"the archive's database is at revision {revision}, which this version of Anpei "
            "does not know: restore it with the version that made it"
        ) from error
    return head if revision != head else None


def require_empty(engine: Engine, force: bool) -> None:
    """Refuse a database that holds any table, unless forced."""
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
    if tables and not force:
        raise BackupError(
            f"the database {engine.url.render_as_string(hide_password=True)} already holds "
            f"{len(tables)} tables. Restore into a new, empty database; --force replaces "
            "everything in this one."
        )


def restore_postgres(engine: Engine, dump: Path, force: bool) -> None:
    """pg_restore in one transaction (all or nothing); forced, after emptying the schema."""
    if force:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    env = libpq_environment(engine.url)
    _run(
        [
            _tool("pg_restore"),
            "--no-password",
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={env['PGDATABASE']}",
            str(dump),
        ],
        env,
    )
