"""The training feature's refusals: its codes and their messages."""

from __future__ import annotations

from flask_babel import gettext as _

from exam.core.errors import AnpeiError, catalogue


class TrainingError(AnpeiError):
    domain = "training"


catalogue(
    "training",
    {
        "cancelled": lambda **p: _("This session has been cancelled."),
        "over": lambda **p: _("This session is over."),
        "not_invited": lambda **p: _("This session is not for you."),
        "bad_code": lambda **p: _(
            "This sign-in code is not valid or has expired: scan the code on the screen again."
        ),
        "signin_closed": lambda **p: _(
            "Sign-in is open only from half an hour before the session until it ends."
        ),
        "not_started": lambda **p: _(
            "The roll can be taken from half an hour before the session starts."
        ),
        "capacity_below_enrolled": lambda **p: _(
            "More people are already enrolled than these seats."
        ),
        "external_off": lambda **p: _("The bureau does not count outside training."),
        "bad_hours": lambda **p: _("Between 0.5 and 40 hours."),
        "started": lambda **p: _(
            "The session has started (or you have signed in): the place can no longer be given up."
        ),
    },
)
