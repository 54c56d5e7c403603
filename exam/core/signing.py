"""The session cookie and the CSRF token, verified once per process.

A candidate's phone sends the same session cookie and the same CSRF token with every answer
save and heartbeat of an exam. Checking their signatures and decoding them (HMAC, base64,
tagged JSON) cost as much Python as the save's SQL (issue 19's profile: 9 % and 7 % of a
worker's time). Each process therefore remembers the cookies and tokens it has verified,
keyed by their exact text: a known one is not verified again, but its age is still checked
against its signed timestamp and a token is still compared with the session's own, so what
is accepted is exactly what Flask and Flask-WTF accept. Anything new, expired or unusual goes
through the libraries themselves (and gets their errors).
"""

from __future__ import annotations

import copy
import hmac
from threading import Lock
from time import time as clock

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf import CSRFProtect as BaseCSRFProtect
from flask_wtf.csrf import same_origin
from itsdangerous import BadData, URLSafeTimedSerializer

#: Verified cookies or tokens each process remembers (a few hundred bytes each); when full,
#: it starts afresh (a candidate's next request is then verified in full once more).
REMEMBERED = 8192
#: What a session's values are copied by reference as: nothing can change them in place.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes})


class Verified:
    """Signed strings already verified, with what they carry and when they were signed."""

    def __init__(self, size: int = REMEMBERED):
        self.size, self._entries, self._keys, self._lock = size, {}, None, Lock()

    def get(self, keys: tuple, text: str, max_age: float):
        """What ``text`` carries if verified before with these keys and still young enough."""
        entry = self._entries.get(text) if keys == self._keys else None
        if entry is None or clock() - entry[1] > max_age:
            return None
        return entry[0]

    def put(self, keys: tuple, text: str, value, signed_at: float) -> None:
        with self._lock:
            if keys != self._keys or len(self._entries) >= self.size:
                self._entries, self._keys = {}, keys  # another secret key: forget them all
            self._entries[text] = (value, signed_at)


def _secret_keys(app: Flask, secret: str | bytes | None = None) -> tuple:
    return (secret or app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; a cookie this process verified before is decoded from
    memory (its age still checked)."""

    def __init__(self):
        self.verified = Verified()

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        text = request.cookies.get(self.get_cookie_name(app))
        if not text or not app.secret_key:
            return super().open_session(app, request)
        keys, max_age = _secret_keys(app), app.permanent_session_lifetime.total_seconds()
        data = self.verified.get(keys, text, max_age)
        if data is None:
            try:
                data, signed_at = self.get_signing_serializer(app).loads(
                    text, max_age=int(max_age), return_timestamp=True
                )
            except BadData:
                return self.session_class()
            self.verified.put(keys, text, data, signed_at.timestamp())
        # Each request gets its own copy: a view may change its session (only what it could
        # change in place is copied deeply; a session holds mostly strings).
        return self.session_class(
            {k: v if type(v) in _IMMUTABLE else copy.deepcopy(v) for k, v in data.items()}
        )


class CSRFProtect(BaseCSRFProtect):
    """Flask-WTF's CSRF protection; a token this process verified before is not verified
    again, only compared with the session's own and its age checked."""

    verified = Verified()

    def protect(self, apply_exemptions: bool = False):
        if self._known_good(apply_exemptions):
            g.csrf_valid = True
            return
        super().protect(apply_exemptions)  # verifies, or refuses with Flask-WTF's error
        token = self._get_csrf_token()
        if token and g.get("csrf_valid"):
            self._remember(token)

    def _get_csrf_token(self):
        # The exam page sends the token in a header with a JSON body: read the header before
        # the form, which would otherwise be parsed for nothing.
        for header_name in current_app.config["WTF_CSRF_HEADERS"]:
            if token := request.headers.get(header_name):
                return token
        return super()._get_csrf_token()

    def _settings(self) -> tuple[tuple, str, float]:
        config = current_app.config
        return (
            _secret_keys(current_app, config.get("WTF_CSRF_SECRET_KEY")),
            config["WTF_CSRF_FIELD_NAME"],
            config["WTF_CSRF_TIME_LIMIT"] or float("inf"),
        )

    def _known_good(self, apply_exemptions: bool) -> bool:
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return False
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return False
        token = self._get_csrf_token()
        keys, field, max_age = self._settings()
        raw = self.verified.get(keys, token, max_age) if token else None
        if raw is None or not hmac.compare_digest(str(session.get(field, "")), raw):
            return False
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
            referrer = request.referrer
            return bool(referrer) and same_origin(referrer, f"https://{request.host}/")
        return True

    def _remember(self, token: str) -> None:
        keys, _field, max_age = self._settings()
        serializer = URLSafeTimedSerializer(keys[0], salt="wtf-csrf-token")
        try:
            raw, signed_at = serializer.loads(token, return_timestamp=True)
        except BadData:
            return
        self.verified.put(keys, token, raw, signed_at.timestamp())
