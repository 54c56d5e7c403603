"""JSON columns taken apart in SQL, the same way on PostgreSQL and SQLite.

The attempt's paper, result items and per-topic breakdown are JSON. Reports aggregate them in
the database: an array of objects becomes rows with typed columns (``json_to_recordset`` on
PostgreSQL, which parses each document once; ``json_each`` with ``json_extract`` on SQLite), an
object becomes (key, value) rows (``json_each`` on both).
"""

from __future__ import annotations

from sqlalchemy import JSON, Float, Integer, String, Text, cast, column, func, text
from sqlalchemy.sql.elements import ColumnElement

from exam.core.extensions import db

#: SQL types of the fields ``records`` can read.
TYPES = {"int": Integer, "float": Float, "text": Text, "json": JSON}


def postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def tune_for_reports() -> None:
    """On PostgreSQL, for the rest of this transaction: no JIT compilation (it costs more than
    these one-second aggregates gain: 0.2-2 s of compiling measured per statement), room to
    group in memory, and cheaper parallel workers (reading thousands of JSON documents is worth
    splitting over the cores; the defaults assume it is not). One statement; none on SQLite."""
    if postgres():
        db.session.execute(
            text(
                "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true), "
                "set_config('parallel_setup_cost', '100', true), set_config('parallel_tuple_cost', '0.01', true)"
            )
        )


def records(document: ColumnElement, key: str | None, fields: dict[str, str]):
    """The array ``document[key]`` (or ``document`` itself) as rows: a FROM item to join
    (``ON true``; it may refer to the tables before it) and {field: column expression}."""
    if postgres():
        array = document[key] if key else document
        source = (
            func.json_to_recordset(array)
            .table_valued(*(column(name, TYPES[kind]) for name, kind in fields.items()))
            .render_derived(with_types=True)
        )
        return source, {name: source.c[name] for name in fields}
    source = (
        func.json_each(document, f"$.{key}") if key else func.json_each(document)
    ).table_valued(column("value", JSON))
    value = source.c.value
    columns = {}
    for name, kind in fields.items():
        extracted = func.json_extract(value, f"$.{name}")
        columns[name] = func.json(extracted) if kind == "json" else cast(extracted, TYPES[kind])
    return source, columns


def object_items(document: ColumnElement, key: str):
    """Rows of the object ``document[key]``: columns ``key`` (text) and ``value`` (JSON)."""
    columns = (column("key", String), column("value", JSON))
    if postgres():
        return func.json_each(document[key]).table_valued(*columns)
    return func.json_each(document, f"$.{key}").table_valued(*columns)


def json_text(value: ColumnElement) -> ColumnElement:
    """A JSON value as its JSON text (for grouping: PostgreSQL's json type has no equality)."""
    if postgres():
        return cast(value, Text)
    return func.json(value)
