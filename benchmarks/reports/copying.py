"""Bulk loading with COPY: text-format rows, keys and indexes taken off while loading."""

from __future__ import annotations

import time
from datetime import date, datetime

import psycopg

NULL = "\\N"
CHUNK = 8 << 20  # bytes per write to the COPY stream


def esc(value: str) -> str:
    """A string as COPY's text format wants it (backslash, tab and line breaks escaped)."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def field(value) -> str:
    """Any Python value as one COPY text field."""
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    if isinstance(value, str):
        return esc(value)
    return str(value)


def row(*values) -> str:
    return "\t".join(field(v) for v in values) + "\n"


class Copy:
    """One COPY stream into a table, fed with ready-made text lines and flushed in chunks."""

    def __init__(self, conn: psycopg.Connection, table: str, columns: str):
        self.cursor = conn.cursor()
        self.context = self.cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN')
        self.stream = self.context.__enter__()
        self.parts: list[str] = []
        self.size = 0
        self.rows = 0

    def add(self, line: str) -> None:
        self.parts.append(line)
        self.size += len(line)
        self.rows += 1
        if self.size > CHUNK:
            self.flush()

    def extend(self, text: str, rows: int) -> None:
        self.parts.append(text)
        self.size += len(text)
        self.rows += rows
        if self.size > CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.stream.write("".join(self.parts).encode())
            self.parts, self.size = [], 0

    def close(self) -> int:
        self.flush()
        self.context.__exit__(None, None, None)
        return self.rows


def copy_rows(conn: psycopg.Connection, table: str, columns: str, lines) -> int:
    """COPY an iterable of text lines (from ``row``) into a table; returns the row count."""
    stream = Copy(conn, table, columns)
    for line in lines:
        stream.add(line)
    return stream.close()


# --- keys and indexes off while loading ------------------------------------------------


def take_off_keys(conn: psycopg.Connection, tables: list[str]) -> list[str]:
    """Drop the tables' constraints and indexes (and every foreign key pointing at them);
    return the statements that put them back exactly as the migrations made them."""
    names = tables
    constraints = conn.execute(
        """
        SELECT c.conname, c.conrelid::regclass::text, c.contype, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'public' AND c.contype IN ('p', 'u', 'f')
          AND (c.conrelid::regclass::text = ANY(%(t)s) OR c.confrelid::regclass::text = ANY(%(t)s))
    """,
        {"t": [f'"{t}"' if t == "user" else t for t in names]},
    ).fetchall()
    owned = {name for name, *_ in constraints}
    indexes = conn.execute(
        """
        SELECT indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename = ANY(%(t)s)
    """,
        {"t": names},
    ).fetchall()
    restore_keys, restore_fks = [], []
    for name, table, kind, definition in constraints:
        statement = f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        (restore_fks if kind == "f" else restore_keys).append(statement)
    for name, table, _kind, _definition in sorted(constraints, key=lambda c: c[2] != "f"):
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{name}"')
    restore_indexes = []
    for name, definition in indexes:
        if name in owned:
            continue
        restore_indexes.append(definition)
        conn.execute(f'DROP INDEX IF EXISTS "{name}"')
    return restore_keys + restore_indexes + restore_fks


def put_back_keys(url: str, statements: list[str]) -> float:
    """Run the statements of ``take_off_keys`` (keys, then indexes, then foreign keys)."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for statement in statements:
            conn.execute(statement)
    return time.perf_counter() - started


def reset_sequences(conn: psycopg.Connection) -> None:
    """Point every id sequence past the largest id loaded."""
    for table, column, sequence in conn.execute("""
        SELECT c.table_name, c.column_name, pg_get_serial_sequence(format('%I', c.table_name), c.column_name)
        FROM information_schema.columns c
        WHERE c.table_schema = 'public' AND c.column_default LIKE 'nextval%'
    """).fetchall():
        conn.execute(
            f'SELECT setval(%s, COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)',
            (sequence,),
        )
