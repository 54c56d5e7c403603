"""Whether the database holds the schema this Anpei's migrations end at.

Every command that needs the database asks first, and the web app asks until the answer is
yes (then never again in that process): a fresh or half-upgraded database gets "run
`anpei db upgrade`" instead of a 500 about a missing table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy.engine import Engine

from exam.core.errors import AnpeiError, api_error, catalogue
from exam.core.extensions import db, login_manager

#: Addresses answered without the database, so the page explaining it has its styles.
NO_DATABASE_ENDPOINTS = {
    "static",
    "bootstrap.static",
    "favicon",
    "healthz",
    "api-docs.openapi_json",
}

#: What each state means for whoever can act on it; the API sends the state as ``reason``.
REASONS = {
    "missing": lambda **p: _(
        "The database is not initialised: run `anpei db upgrade` (it creates the tables)."
    ),
    "behind": lambda **p: _(
        "The database is not up to date (revision %(current)s; this Anpei needs %(head)s): "
        "run `anpei db upgrade`.",
        **p,
    ),
    "unknown": lambda **p: _(
        "The database is at revision %(current)s, which this Anpei does not know: it was "
        "upgraded by a newer Anpei. Install that version.",
        **p,
    ),
}

catalogue(
    "core",
    {"not_initialised": lambda reason="missing", **p: REASONS[reason](**p)},
    {"not_initialised": 503},
)


@dataclass(frozen=True)
class SchemaState:
    """The database's Alembic revisions against the heads of the migrations shipped."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    known: frozenset[str]

    @property
    def ready(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def reason(self) -> str | None:
        """Why it is not ready: ``missing``, ``behind`` or ``unknown`` (None when ready)."""
        if self.ready:
            return None
        if not self.current:
            return "missing"
        return "behind" if set(self.current) <= self.known else "unknown"

    @property
    def params(self) -> dict[str, str]:
        return {"current": ", ".join(self.current), "head": ", ".join(self.heads)}

    @property
    def message(self) -> str:
        """What to do about it, in the current language (None's reason never asks)."""
        return REASONS[self.reason or "missing"](**self.params)


@functools.cache
def _migrations(directory: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """The heads and every revision of the migrations in ``directory`` (read once per process:
    they are files installed with Anpei)."""
    config = Config()
    config.set_main_option("script_location", directory)
    script = ScriptDirectory.from_config(config)
    return tuple(script.get_heads()), frozenset(r.revision for r in script.walk_revisions())


def migrations_directory(app: Flask) -> str:
    return str(Path(app.extensions["migrate"].directory))


def check(engine: Engine, directory: str) -> SchemaState:
    """The state of the database behind ``engine`` (one connection, one or two queries)."""
    heads, known = _migrations(directory)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return SchemaState(current=tuple(current), heads=heads, known=known)


#: The databases (by URL) this process has found ready: each is checked once per process, however
#: many apps it builds on it (the tests build one per test).
_READY: set[str] = set()


def init_app(app: Flask) -> None:
    """Answer every request with a 503 page naming the fix while the schema is not ready;
    once it is, the check is a flag read (no query)."""
    directory = migrations_directory(app)
    gate = {"ready": False, "told": None}

    def schema_gate():
        if gate["ready"] or request.endpoint in NO_DATABASE_ENDPOINTS:
            return None
        url = str(db.engine.url)
        state = None if url in _READY else check(db.engine, directory)
        if state is None or state.ready:
            _READY.add(url)
            gate["ready"] = True
            return None
        if gate["told"] != state.reason:  # once per state in the log, not once per request
            gate["told"] = state.reason
            app.logger.warning("database not ready (%s): %s", state.reason, state.message)
        return _not_ready(state)

    # First of all hooks: the others (the CSRF check, the forced password change) may load
    # the signed-in user, a query on a table that may not exist.
    app.before_request_funcs.setdefault(None, []).insert(0, schema_gate)


def _not_ready(state: SchemaState):
    if request.path.startswith("/api/"):
        error = AnpeiError("not_initialised", reason=state.reason, **state.params)
        return api_error(error, reason=state.reason)
    # The page is drawn for nobody in particular: no account can be loaded now.
    g._login_user = login_manager.anonymous_user()
    return render_template("errors/not_initialised.html", message=state.message), 503
