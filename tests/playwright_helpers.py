"""Small helpers the browser tests share."""

from __future__ import annotations

import re

from sqlalchemy import select

from exam.core.extensions import db
from exam.learning.models import StudyProgress


def seconds_on_the_server() -> float:
    """The study seconds the server has credited (one lesson, one person in these tests)."""
    db.session.expire_all()
    return db.session.scalar(select(StudyProgress.seconds)) or 0.0


# --- the console guard: no console error, uncaught error or CSP violation goes unnoticed -------

#: Reports each Content-Security-Policy violation to the guard (Chromium also logs most of
#: them to the console, but not all, and without the directive's name).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  if (typeof window.__anpeiCspViolation === "function") {
    window.__anpeiCspViolation(event.effectiveDirective + " blocked " + (event.blockedURI || "inline")
      + " (" + event.documentURI + ", line " + event.lineNumber + ")");
  }
});
"""


class ConsoleGuard:
    """What went wrong in the pages of one test's browser contexts: console messages of type
    ``error``, uncaught errors and Content-Security-Policy violations. The ``browser``
    fixture fails the test at teardown on any that the test did not :meth:`allow`."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._allowed: list[re.Pattern] = []

    def allow(self, pattern: str) -> None:
        """Expect errors matching the regular expression ``pattern`` (searched in the
        message, which ends with the page or resource it came from). Keep it narrow: the
        network errors of a step the test takes offline, not every error."""
        self._allowed.append(re.compile(pattern))

    def allow_failed_load(self, path: str, reason: str) -> None:
        """Expect the browser's "Failed to load resource" error for the addresses whose path
        matches the regular expression ``path``, for a reason matching ``reason``: a status
        the test provokes (``"status of 422"``) or a network error (``"net::ERR_FAILED"``)."""
        self.allow(
            rf"^console error: Failed to load resource: .*(?:{reason}).*"
            rf" \(https?://[^/]+(?:{path})\)$"
        )

    def watch(self, context) -> None:
        """Record what goes wrong in every page of ``context`` from now on."""
        context.on("console", self._console)
        context.on("weberror", self._web_error)
        context.expose_binding(
            "__anpeiCspViolation", lambda source, text: self.seen.append(f"CSP violation: {text}")
        )
        context.add_init_script(CSP_LISTENER)

    def unexpected(self) -> list[str]:
        """What was seen and not allowed."""
        return [text for text in self.seen if not any(p.search(text) for p in self._allowed)]

    def _console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url") or (message.page.url if message.page else "")
            self.seen.append(f"console error: {message.text} ({where})")

    def _web_error(self, error) -> None:
        where = error.page.url if error.page else ""
        self.seen.append(f"uncaught error: {error.error.message} ({where})")


class GuardedBrowser:
    """The session's browser as a test sees it: each context it opens is watched by the
    test's :class:`ConsoleGuard`, and closed when the test ends."""

    def __init__(self, browser, guard: ConsoleGuard) -> None:
        self._browser = browser
        self._guard = guard
        self._contexts: list = []

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        self._guard.watch(context)
        self._contexts.append(context)
        return context

    def new_page(self, **options):
        return self.new_context(**options).new_page()

    def close_contexts(self) -> None:
        """Close what the test left open; the events still on their way arrive first."""
        for context in self._contexts:
            context.close()  # nothing happens to one the test closed

    def __getattr__(self, name):
        return getattr(self._browser, name)
