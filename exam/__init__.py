"""Anpei (安培): the safety-production training and examination platform."""

from __future__ import annotations

import logging
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from exam.core.config import load_config


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("ANPEI_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if app.config["PROXY_COUNT"]:
        # Trust X-Forwarded-* only from the configured number of proxies.
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.WARNING)
        app.logger.setLevel(logging.INFO)

    from exam.core.web import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    from exam.core.signing import SessionInterface

    app.session_interface = SessionInterface()
    _init_extensions(app)
    _register_blueprints(app)

    from exam.core import errors, i18n, pagecache, schema, web

    errors.init_app(app)
    pagecache.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    schema.init_app(app)
    from exam.exams import sitting

    sitting.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from pathlib import Path

    from exam.core.extensions import babel, bootstrap, csrf, db, login_manager, migrate

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        connect_args = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault(
            "connect_args", {}
        )
        if app.config["DB_TRANSACTION_POOLER"]:
            # Each transaction may run on another server connection: a statement psycopg
            # prepared on one is unknown on the next, and PgBouncer refuses startup options
            # (set jit=off on the database instead: deploy/README.md).
            connect_args.setdefault("prepare_threshold", None)
        else:
            # JIT compiling pays only for long analytic queries run many times; for this app's
            # short statements and one-off reports it cost seconds (benchmarks/RESULTS.md, reports).
            connect_args.setdefault("options", "-c jit=off")
    from exam.core import database

    database.add_reports_bind(app)
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    from exam.core import i18n

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=lambda: "UTC")
    from exam.core.extensions import api

    app.config.update(
        API_TITLE="Anpei exam API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api.init_app(app)
    # Import the models so that metadata (and Alembic) know every table.
    import exam.audit.models  # noqa: F401
    import exam.auth.models  # noqa: F401
    import exam.campaigns.models  # noqa: F401
    import exam.certificates.models  # noqa: F401
    import exam.core.uploads  # noqa: F401 - pending uploads
    import exam.exams.models  # noqa: F401
    import exam.learning.models  # noqa: F401
    import exam.people.models  # noqa: F401
    import exam.questions.models  # noqa: F401
    import exam.reports.kept.models  # noqa: F401
    import exam.screenings.models  # noqa: F401
    import exam.training.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from exam.accounts.blueprint import bp as accounts_bp
    from exam.audit.blueprint import bp as audit_bp
    from exam.auth.blueprint import bp as auth_bp
    from exam.campaigns.blueprint import bp as campaigns_bp
    from exam.certificates.blueprint import bp as certificates_bp
    from exam.certificates.blueprint import verify_bp
    from exam.core.extensions import api
    from exam.exams.blueprint import api_bp
    from exam.exams.blueprint import bp as exams_bp
    from exam.exams.blueprint import manage_bp as manage_exams_bp
    from exam.home.blueprint import bp as home_bp
    from exam.learning.blueprint import bp as learning_bp
    from exam.learning.blueprint import manage_bp as manage_learning_bp
    from exam.people.blueprint import bp as people_bp
    from exam.practice.blueprint import bp as practice_bp
    from exam.questions.blueprint import bp as questions_bp
    from exam.reference.blueprint import bp as reference_bp
    from exam.reports.blueprint import bp as reports_bp
    from exam.screenings.blueprint import bp as screenings_bp
    from exam.training.blueprint import bp as training_bp

    for bp in (
        home_bp,
        auth_bp,
        people_bp,
        accounts_bp,
        audit_bp,
        reference_bp,
        questions_bp,
        practice_bp,
        exams_bp,
        manage_exams_bp,
        campaigns_bp,
        certificates_bp,
        verify_bp,
        training_bp,
        screenings_bp,
        reports_bp,
        learning_bp,
        manage_learning_bp,
    ):
        app.register_blueprint(bp)
    api.register_blueprint(api_bp)
