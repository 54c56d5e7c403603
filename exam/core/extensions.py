"""Flask extensions as module globals, bound to the app in ``create_app``."""

from flask import g, has_app_context
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase

from exam.core.error_schema import ErrorOut
from exam.core.signing import CSRFProtect

#: Constraint names Alembic can find again on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: The bind of ``ANPEI_REPORTS_DATABASE_URL`` (a read-only replica), when one is configured.
REPORTS_BIND = "reports"


class RoutingSession(Session):
    """The request's session: on the primary database, except where the request has asked to
    read from the reports replica (``exam.core.database.read_from_replica``); then every
    statement goes there, and a write fails (the replica's transactions are read-only).
    SQLAlchemy's own recipe for leader and follower databases (``Session.get_bind``)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and has_app_context() and g.get("read_from_replica"):
            replica = self._db.engines.get(REPORTS_BIND)
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()


class AnpeiApi(Api):
    """flask-smorest's Api, documenting the errors this app really sends (``api_error``)."""

    ERROR_SCHEMA = ErrorOut
    # No catch-all "default" answer: each operation lists every status it can answer
    # (exam.exams.api_errors), so a client, and a fuzzer, can hold it to them.
    DEFAULT_ERROR_RESPONSE_NAME = None


#: The JSON API (``/api/v1``) used by the exam page, documented at ``/api/v1/openapi.json``.
api = AnpeiApi()


def upsert(dialect: str | None = None):
    """The ``INSERT … ON CONFLICT`` construct of the database in use (PostgreSQL or SQLite)."""
    return pg_insert if (dialect or db.engine.dialect.name) == "postgresql" else sqlite_insert
