"""The question bank's refusals: its codes and their messages."""

from __future__ import annotations

from flask_babel import gettext as _

from exam.core.errors import AnpeiError, catalogue


class TransitionError(AnpeiError):
    """A lifecycle step that is not allowed now; ``code`` says why."""

    domain = "questions"


catalogue(
    "questions",
    {
        "wrong_status": lambda **p: _(
            "That step is not possible in the question's present status."
        ),
        "needs_review": lambda **p: _(
            "Review is switched on: another person must approve the question first."
        ),
        "own_question": lambda **p: _("You wrote this version; another person must approve it."),
        "unknown": lambda **p: _("Unknown step."),
        "changed": lambda **p: _(
            "The question has been changed since you opened it; look at the new version first."
        ),
    },
)
