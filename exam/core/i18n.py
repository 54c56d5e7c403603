"""Interface language: Chinese first, English on request (per user, or per session)."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, redirect, request, session, url_for
from flask_login import current_user

from exam.core.extensions import db
from exam.core.redirects import safe_next

LANGUAGES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    if not has_request_context():  # the CLI and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    if session.get("locale") in LANGUAGES:
        return session["locale"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def set_language(code: str):
    """Switch the interface language (POST, so it is CSRF-protected)."""
    if code in LANGUAGES:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))


def init_app(app: Flask) -> None:
    app.add_url_rule("/language/<code>", "set_language", set_language, methods=["POST"])
