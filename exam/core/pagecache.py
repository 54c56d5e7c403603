"""Pages kept for a few seconds while they are busy, so a screen that asks the same question
every few seconds does not take the server's cores from somebody else.

The reports use it during an exam (the bureau watches its dashboard while thousands of leaders
sit): a page is computed at most once per ``PAGE_CACHE_SECONDS`` for one user, one session, one
language and one address (path and query), and says when its figures were read. The store is a
folder (``cachelib.FileSystemCache`` in the instance folder, or ``PAGE_CACHE_DIR``), so every
process of a host shares it; the key holds the user's id, a number that changes whenever that
user writes anything (their own changes show at once), the session's CSRF secret (a kept form
posts back to the same session only) and the language.

Never kept: anything but a 200 HTML answer, a page that showed a flashed message (or had one
waiting to be shown), a page whose rendering flashed one, anything but GET.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from cachelib import FileSystemCache
from flask import Flask, Response, current_app, g, message_flashed, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from exam.core.i18n import select_locale
from exam.core.timeutil import utcnow

#: Entries a host keeps at most (the oldest go first beyond it): one per user and address.
THRESHOLD = 2000


def _store(app: Flask) -> FileSystemCache:
    store = app.extensions.get("anpei_pages")
    if store is None:
        folder = app.config.get("PAGE_CACHE_DIR") or str(
            Path(app.instance_path) / "cache" / "pages"
        )
        store = FileSystemCache(folder, threshold=THRESHOLD, default_timeout=300)
        app.extensions["anpei_pages"] = store
    return store


def _generation_key(identity: str) -> str:
    """``identity``: Flask-Login's ``_user_id`` (the user's id and session key)."""
    return f"writes:{identity}"


def _key(identity: str, generation) -> str:
    parts = (
        identity,
        str(generation),
        str(session.get("csrf_token", "")),
        select_locale(),
        request.full_path,
    )
    return "page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def kept_while(active: Callable[[datetime], bool]):
    """Keep a GET view's page for ``PAGE_CACHE_SECONDS`` while ``active(now)`` holds (checked
    on every request); otherwise the view runs as usual. Put it inside the access check, so a
    kept page is only ever served to the user it was computed for, after their check."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            seconds = current_app.config.get("PAGE_CACHE_SECONDS", 0)
            if (
                not seconds
                or request.method != "GET"
                or not current_user.is_authenticated
                or session.get("_flashes")
            ):
                return view(*args, **kwargs)
            now = utcnow()
            if not active(now):
                return view(*args, **kwargs)
            store = _store(current_app)
            generate_csrf()  # the session's CSRF secret, which the key holds, made now if new
            identity = current_user.get_id()
            key = _key(identity, store.get(_generation_key(identity)) or 0)
            body = store.get(key)
            if body is not None:
                return Response(body, mimetype="text/html")
            g.page_kept_at = now
            g.page_kept_seconds = seconds
            response = current_app.make_response(view(*args, **kwargs))
            if (
                response.status_code == 200
                and response.mimetype == "text/html"
                and not response.direct_passthrough
                and not g.get("page_flashed")
            ):
                store.set(key, response.get_data(), timeout=seconds)
                # From now on this user's writes make their kept pages stale (see init_app).
                store.add(_generation_key(identity), 0, timeout=0)
            return response

        return wrapped

    return decorator


def init_app(app: Flask) -> None:
    """Note flashed messages (a page that shows one is never kept), and let a user's writes
    make their kept pages stale at once: any request but GET, HEAD and OPTIONS by a user who
    has a kept page moves that user's number on. The exam API (answer saves, heartbeats) is
    left alone: its writes are no report's figures until a submission, and the hot path pays
    nothing for this."""

    @message_flashed.connect_via(app, weak=False)
    def _flashed(sender, **extra) -> None:
        g.page_flashed = True

    @app.after_request
    def _writes_refresh_pages(response):
        # The cheap tests first: a save or heartbeat (the exam API) stops at the path.
        if (
            request.method in ("GET", "HEAD", "OPTIONS")
            or request.path.startswith("/api/")
            or not app.config.get("PAGE_CACHE_SECONDS")
        ):
            return response
        user_id = session.get("_user_id")
        if user_id:
            store = _store(app)
            key = _generation_key(user_id)
            generation = store.get(key)  # None: this user has no kept page
            if generation is not None:
                store.set(key, generation + 1, timeout=0)
        return response
