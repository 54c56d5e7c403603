"""The database's weather: which of its failures pass if one tries again a little later, a
request retried once when its pooled connection turns out to be dead, and SQLite set up to
wait for a writer rather than fail.

A database that is briefly away (restarting, a connection cut, its pool full) or busy (a lock
held by another writer) is no bug: the request answers 503 with ``Retry-After`` and the exam
page sends again. Anything else a database refuses (a constraint, a syntax error) is a bug and
stays a 500.

Pooled connections are not tested before use (a pre-ping is a round trip on every request,
the busiest cost of an answer save); they are recycled after a few minutes instead (``config.POOL_RECYCLE_SECONDS``),
and a request whose very first statement meets a connection the server has dropped (a
restart, ``pg_terminate_backend``, a firewall) is run again once, transparently, on a fresh
connection: nothing had reached the database yet, so nothing is lost or written twice.
"""

from __future__ import annotations

import io
import logging
import threading
import weakref
from collections import namedtuple

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from exam.core.extensions import REPORTS_BIND, db

#: PostgreSQL SQLSTATEs that pass by themselves: serialisation failure, deadlock, lock not
#: available (lock_timeout), too many connections, and the server shutting down, crashing or
#: still starting. Class 08 (connection exceptions) is matched by its prefix.
TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "53300", "57P01", "57P02", "57P03"}
#: SQLite's "another connection holds the lock" (SQLITE_BUSY, SQLITE_LOCKED).
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")


#: Largest request body kept in memory so that the request can be run again (an answer save
#: is a few hundred bytes; an upload is never retried).
RETRY_BODY_BYTES = 64 * 1024
#: WSGI environ keys: a statement of this request has succeeded; its first one met a dropped
#: connection and it may be run again.
_USED, _RETRY = "anpei.db_used", "anpei.db_retry"
#: Where a pooled connection keeps the driver cursor the driver statements run on.
_CURSOR = "anpei.driver_cursor"

log = logging.getLogger(__name__)


def is_transient(error: BaseException) -> bool:
    """Whether the database refused for a while, not for good: trying again may succeed."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:  # SQLAlchemy saw a disconnect and dropped the connection
        return True
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        return sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith("08")
    module = type(orig).__module__
    if module.startswith("sqlite3"):
        return isinstance(error, sa_exc.OperationalError) and str(orig).startswith(
            SQLITE_BUSY_MESSAGES
        )
    # A driver's connection-level failure carries no SQLSTATE: the server went away, refused
    # the connection, or the connection was closed under it.
    return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)


def short_reason(error: BaseException) -> str:
    """The failure in one line for the log: the driver's class and first line of its message."""
    orig = getattr(error, "orig", None) or error
    first_line = (str(orig).strip().splitlines() or [""])[0]
    return f"{type(orig).__name__}: {first_line[:200]}"


def is_file_sqlite(engine: Engine) -> bool:
    """A SQLite database in a file (an in-memory one has no journal to share)."""
    url = engine.url
    name = url.database or ""
    return (
        url.get_backend_name() == "sqlite"
        and name not in ("", ":memory:")
        and not name.startswith("file::memory:")
        and url.query.get("mode") != "memory"
    )


def reports_bind(config: dict) -> dict:
    """The engine settings of the reports replica (``ANPEI_REPORTS_DATABASE_URL``): every
    transaction read-only (a hot standby is anyway; a URL naming the primary by mistake then
    still takes no write), no JIT (as on the primary), no prepared statements through a pooler."""
    url = config["REPORTS_DATABASE_URL"]
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("postgresql"):
        options["connect_args"] = {
            "options": "-c default_transaction_read_only=on -c jit=off",
            "application_name": "anpei-reports",
        }
    return {**options, "url": url}


def add_reports_bind(app: Flask) -> None:
    """Register the reports replica as a bind of its own, when one is configured."""
    if app.config["REPORTS_DATABASE_URL"]:
        binds = app.config.setdefault("SQLALCHEMY_BINDS", {})
        binds[REPORTS_BIND] = reports_bind(app.config)


def read_from_replica() -> None:
    """From here to the end of this GET, the request's session reads from the reports replica
    (a no-op without one). The signed-in user is loaded from the primary first: a login or a
    logout made a moment ago may not have reached the replica yet."""
    if request.method in ("GET", "HEAD"):
        _ = current_user.is_authenticated
        g.read_from_replica = True


def _statement_done(conn, cursor, statement, parameters, context, executemany) -> None:
    if has_request_context():
        request.environ[_USED] = True


def _statement_failed(context) -> None:
    """A dropped connection met by the request's first statement: run the request again."""
    if (
        context.is_disconnect
        and not context.is_pre_ping  # the pool already replaced the connection by itself
        and has_request_context()
        and _USED not in request.environ
    ):
        request.environ[_RETRY] = True


class RetryDroppedConnection:
    """WSGI middleware: a request whose first statement met a connection the database had
    dropped is run once more (SQLAlchemy has by then discarded the pool's stale connections).
    The first run's answer (a 503) is thrown away; the body is replayed from memory."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= RETRY_BODY_BYTES or environ.get("HTTP_TRANSFER_ENCODING"):
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(length) if length else b""
        for last in (False, True):
            attempt = {**environ, "wsgi.input": io.BytesIO(body)}
            started = []
            result = self.wsgi_app(attempt, lambda *args, started=started: started.append(args))
            # Only a request that failed (503) for it is run again.
            if last or not attempt.get(_RETRY) or not started[0][0].startswith("503"):
                start_response(*started[0])
                return result
            if hasattr(result, "close"):
                result.close()
            log.warning(
                "database connection was dropped; running %s %s again",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
            )
        raise AssertionError("unreachable")


def init_app(app: Flask) -> None:
    """Requests retried once on a dropped connection (server databases); SQLite files run in
    WAL mode (readers never wait for the writer) and a writer waits up to
    ``SQLITE_BUSY_TIMEOUT`` seconds for another to finish, instead of SQLite's 5."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        event.listen(engine, "after_cursor_execute", _statement_done)
        event.listen(engine, "handle_error", _statement_failed)
        app.wsgi_app = RetryDroppedConnection(app.wsgi_app)
    if not is_file_sqlite(engine):
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT"] * 1000)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms:d}")
        finally:
            cursor.close()


class DriverStatement:
    """One statement compiled once for an engine and run on the driver's own cursor.

    For the few statements exam day sends thousands of times a minute (an answer save, a
    heartbeat, a paper fetch): SQLAlchemy's connection and execution bookkeeping (a
    ``Connection`` per call, the isolation level set and reset, the compiled cache looked up,
    an execution context, the parameters processed) cost a save more of the app's CPU than
    psycopg sending the statement. What that bookkeeping does for these statements is kept:
    the connection comes from the engine's pool and goes back to it (recycling and
    invalidation as always), the parameters and results pass through their columns' types,
    the engine's cursor events are dispatched to whoever listens (tests count and break
    statements that way), and a driver's error is handled as SQLAlchemy handles it (wrapped:
    a transient one is a 503 with ``Retry-After``; a dropped connection met by the request's
    first statement lets the request run again). Listeners get no execution context, and a
    ``retval`` listener's changes are not used: they are there to count and to fail statements.
    """

    def __init__(self, statement, dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.positional or compiled.post_compile_params or compiled.escaped_bind_names:
            raise ValueError("a driver statement takes named parameters, rendered as they are")
        if (
            compiled.insert_prefetch
            or compiled.update_prefetch
            or any(bind.callable for bind in compiled.binds.values())
        ):  # values SQLAlchemy would compute at each execution: frozen here, they would be wrong
            raise ValueError("a driver statement takes no Python-side defaults or callables")
        if len(compiled._result_columns) != len(statement.exported_columns):
            raise ValueError("a driver statement's columns must all be typed (no text columns)")
        self.statement = statement  # held: the cache is keyed by its id
        self.sql = compiled.string
        self.query = self.sql.encode()  # psycopg would encode the text at every run
        processors = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
        }
        given = {name for name, bind in compiled.binds.items() if bind.required}
        # The values written into the statement (a role, say) are processed once, here.
        self.constants = {
            name: processors[name](value) if name in processors else value
            for name, value in compiled.construct_params(_check=False).items()
            if name not in given
        }
        self.bind_processors = {n: p for n, p in processors.items() if n in given}
        self.columns = [column.type.dialect_impl(dialect) for column in statement.exported_columns]
        self.dialect = dialect
        self._shape = None

    def parameters(self, params: dict) -> dict:
        values = {**self.constants, **params}
        for name, processor in self.bind_processors.items():
            values[name] = processor(params[name])
        return values

    def rows(self, cursor) -> list:
        if cursor.description is None:
            return []
        if self._shape is None:  # the first run: the columns as the database names them
            self._shape = (
                namedtuple("Row", [c.name for c in cursor.description], rename=True),
                [
                    (i, processor)
                    for i, (column, described) in enumerate(
                        zip(self.columns, cursor.description, strict=True)
                    )
                    if (processor := column.result_processor(self.dialect, described.type_code))
                ],
            )
        row, processors = self._shape
        out = []
        for values in cursor.fetchall():
            if processors:
                values = list(values)
                for i, processor in processors:
                    values[i] = processor(values[i])
            out.append(row._make(values))
        return out

    def run(self, engine: Engine, params: dict) -> list:
        """Run it on its own in autocommit (one round trip) and return its rows."""
        values = self.parameters(params)
        dbapi_error = self.dialect.loaded_dbapi.Error
        dispatch = engine.dispatch
        # This module's own listener only marks the request, which this does below.
        after = [f for f in dispatch.after_cursor_execute if f is not _statement_done]
        try:
            fairy = engine.raw_connection()
        except dbapi_error as error:  # no connection to be had: wrapped as for any request
            Connection._handle_dbapi_exception_noconnection(error, self.dialect, engine)
        driver = fairy.driver_connection
        cursor = None
        try:
            driver.autocommit = True
            cursor = _cursor(fairy, driver)
            if dispatch.before_cursor_execute or after:
                listened = Connection(engine, connection=fairy)
                for listener in dispatch.before_cursor_execute:
                    listener(listened, cursor, self.sql, values, None, False)
                cursor.execute(self.query, values)
                for listener in after:
                    listener(listened, cursor, self.sql, values, None, False)
            else:
                cursor.execute(self.query, values)
            rows = self.rows(cursor)
        except dbapi_error as error:
            # As SQLAlchemy handles it: wrapped, the handle_error listeners told (a dropped
            # connection lets the request run again), on a disconnect the pool's older
            # connections discarded too (a restarted server dropped them all).
            Connection(engine, connection=fairy)._handle_dbapi_exception(
                error, self.sql, values, cursor, None
            )
        finally:
            if fairy.is_valid:  # back to the pool as it came, or not at all
                try:
                    driver.autocommit = False
                except dbapi_error:
                    fairy.invalidate()
            fairy.close()
        if has_request_context():
            request.environ[_USED] = True
        return rows


def _cursor(fairy, driver):
    """The pooled connection's own cursor for the driver statements, made at its first one:
    a new psycopg cursor copies the connection's adapters (with its type caches, which psycopg
    keeps while the same statement runs again: 4.5 % of a worker's CPU under saves). The
    cursor lives as long as the driver connection (the pool clears ``info`` when it connects
    again; a replaced one gets a new cursor) and holds its last result until its next
    statement; a connection serves one thread at a time."""
    cursor = fairy.info.get(_CURSOR)
    if cursor is None or cursor.connection is not driver or cursor.closed:
        cursor = fairy.info[_CURSOR] = driver.cursor()
    return cursor


_driver_statements: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_driver_statements_lock = threading.Lock()


def run_alone(statement, params: dict) -> list:
    """Run one statement on a connection of its own in autocommit, outside the request's
    session: a single statement is atomic on its own, and without BEGIN and COMMIT it is one
    round trip to the database instead of three. On PostgreSQL it runs as a
    ``DriverStatement``, kept per statement object: build each statement once (``@cache``),
    not at every call; elsewhere it runs through SQLAlchemy."""
    engine = db.engine
    if engine.dialect.driver != "psycopg":
        with engine.connect() as connection:
            return (
                connection.execution_options(isolation_level="AUTOCOMMIT")
                .execute(statement, params)
                .all()
            )
    kept = _driver_statements.get(engine)
    driver_statement = kept.get(id(statement)) if kept is not None else None
    if driver_statement is None:
        with engine.connect():  # the dialect learns the server's version before compiling
            pass
        with _driver_statements_lock:
            kept = _driver_statements.setdefault(engine, {})
            driver_statement = kept.get(id(statement))
            if driver_statement is None:
                driver_statement = kept[id(statement)] = DriverStatement(statement, engine.dialect)
    return driver_statement.run(engine, params)
