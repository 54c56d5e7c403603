"""The campaigns feature's refusals: its codes and their messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from exam.core.errors import AnpeiError, catalogue


class CampaignError(AnpeiError):
    """Why a change to a campaign was refused: ``code``, and the ``field`` it concerns."""

    domain = "campaigns"


catalogue(
    "campaigns",
    {
        "beyond_scope": _l("A campaign you manage must lie within your sectors and towns/streets."),
        "not_a_round": _l("A makeup exam follows the exam it makes up for; add that exam instead."),
        "exam_not_found": _l("No such exam, or you do not manage it."),
        "beyond_reach": _l(
            "The exam is for people beyond the campaign's sectors and towns/streets."
        ),
        "in_another": _l("The exam is already a round of “%(name)s”."),
        "rounds_beyond_reach": _l(
            "%(count)s of the campaign's rounds would lie beyond these sectors and towns/streets."
        ),
    },
)
