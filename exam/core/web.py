"""Request-wide behaviour: sessions, forced password change, template helpers, headers."""

from __future__ import annotations

from flask import Flask, redirect, request, send_from_directory, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import IntegerConverter

from exam.core.errors import api_error
from exam.core.extensions import login_manager
from exam.core.i18n import LANGUAGES, select_locale
from exam.core.timeutil import format_datetime
from question_bank.text import sanitise

#: Endpoints a user who must change their password may still reach.
OPEN_DURING_PASSWORD_CHANGE = {
    "auth.change_password",
    "auth.logout",
    "static",
    "favicon",
    "set_language",
    "bootstrap.static",
}
#: Endpoints that check the account themselves, in the statement they run anyway (a pending
#: password change included): loading the user first would cost a query per request.
CHECKED_BY_THEIR_QUERY = {"api.attempt", "api.save", "api.heartbeat"}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "worker-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


#: Largest id or number taken from a URL (a 32-bit column's limit); anything larger is a 404.
MAX_URL_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that refuses numbers no database column could hold."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_URL_INT)
        super().__init__(url_map, *args, **kwargs)


def int_arg(name: str, default: int | None = None) -> int | None:
    """A whole-number query argument in the range a database accepts, else ``default``."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 <= value <= MAX_URL_INT else default


def parse_id(text: str | None) -> int | None:
    """An id typed or posted as text: 1 to 10 ASCII digits within a database's range."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if value <= MAX_URL_INT else None


def page_arg() -> int:
    return int_arg("page", 1) or 1


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "warning"

    @app.route("/healthz")
    def healthz():
        """Liveness for the proxy and the load test's baseline: no database, no session."""
        return {"status": "ok"}

    @app.route("/favicon.ico")
    def favicon():
        """The icon browsers ask for at this fixed address (pages link the SVG one too)."""
        return send_from_directory(
            app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
        )

    @app.before_request
    def force_password_change():
        if request.endpoint in CHECKED_BY_THEIR_QUERY:
            return None
        if (
            current_user.is_authenticated
            and current_user.must_change_password
            and request.endpoint not in OPEN_DURING_PASSWORD_CHANGE
        ):
            if request.path.startswith("/api/"):
                return (
                    None if request.endpoint == "api.login" else api_error("must_change_password")
                )
            return redirect(url_for("auth.change_password"))
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    app.jinja_env.filters["localtime"] = format_datetime
    # Rich text is sanitised when saved; sanitising again on display costs little and
    # protects against anything that reached the database another way.
    app.jinja_env.filters["rich"] = lambda html: Markup(sanitise(html or ""))  # noqa: S704 - sanitised
    app.jinja_env.filters["sector"] = lambda sector: sector.display_name(select_locale())
    app.jinja_env.filters["sectors"] = lambda sectors: (
        "、" if select_locale() != "en" else ", "
    ).join(s.display_name(select_locale()) for s in sectors)
    app.jinja_env.filters["localdate"] = lambda v: format_datetime(v, "%Y-%m-%d")
    app.jinja_env.filters["reject_page"] = lambda args: {
        k: v for k, v in args.items() if k != "page"
    }

    @app.context_processor
    def helpers():
        return {
            "LANGUAGES": LANGUAGES,
            "current_locale": select_locale(),
        }
