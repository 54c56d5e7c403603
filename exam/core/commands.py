"""The ``anpei`` command line's machinery: Flask's command line made Anpei's own, and the check
every command that needs the database makes first. The commands live in ``exam.cli``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import metadata

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from sqlalchemy import exc as sa_exc

from exam.core import schema
from exam.core.config import ConfigError
from exam.core.database import short_reason
from exam.core.extensions import db


class AnpeiGroup(AppGroup):
    """Flask's command line made Anpei's own: the app is always ``create_app``'s (no
    ``-A/--app``, no ``--env-file``: settings are ``ANPEI_`` variables), a configuration error
    is one line, and the commands are listed without building the app, so ``anpei --help``
    works on any configuration. Commands are added to the group or through the
    ``flask.commands`` entry point (as the scheduler does), never through ``app.cli``."""

    def __init__(self, *args, create_app: Callable[[], Flask], **kwargs):
        # As Flask's own group: FLASK_RUN_PORT and the like still set `anpei run`'s options.
        kwargs.setdefault("context_settings", {}).setdefault("auto_envvar_prefix", "FLASK")
        super().__init__(*args, **kwargs)
        self.create_app = create_app
        self._plugins_loaded = False

    def _load_plugins(self) -> None:
        """The commands other packages plug in (``anpei scheduler``)."""
        if not self._plugins_loaded:
            self._plugins_loaded = True
            for entry_point in metadata.entry_points(group="flask.commands"):
                self.add_command(entry_point.load(), entry_point.name)

    def get_command(self, ctx: click.Context, name: str):
        self._load_plugins()
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugins()
        return super().list_commands(ctx)

    def make_context(self, info_name, args, parent=None, **extra):
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(create_app=self._app, set_debug_flag=True)
        return super().make_context(info_name, args, parent=parent, **extra)

    def _app(self) -> Flask:
        try:
            return self.create_app()
        except ConfigError as error:
            raise click.ClickException(str(error)) from error


def require_schema() -> None:
    """Stop with the fix when the database is not there, not initialised or not up to date."""
    try:
        state = schema.check(db.engine, schema.migrations_directory(current_app))
    except sa_exc.SQLAlchemyError as error:
        url = db.engine.url.render_as_string(hide_password=True)
        raise click.ClickException(
            f"cannot read the database {url}: {short_reason(error)}"
        ) from error
    if not state.ready:
        raise click.ClickException(state.message)


def with_database(command):
    """``with_appcontext``, and the schema checked before the command touches the database."""

    @functools.wraps(command)
    def checked(*args, **kwargs):
        require_schema()
        return command(*args, **kwargs)

    return with_appcontext(checked)
