"""A campaign in the bureau's words, for the dashboard and the congress summary:

    组织N家企业的主要负责人、安全总监共M人参加……专题考试，首次考试合格率X%，经补考最终合格率Y%。

"100%" only when everybody passed (``rates.rate`` never rounds up to it); marked 暂计 while a
round or a makeup is still open."""

from __future__ import annotations

from flask_babel import gettext as _

from exam.reports.queries.campaigns import CampaignFigures
from exam.reports.queries.rates import percent_text


def _posts(figures: CampaignFigures) -> str:
    """The posts of the people who sat, as the report lists them (主要负责人、安全总监)."""
    labels = [row.label for row in figures.by_post if row.sat.people and row.role]
    return _(", ").join(labels) if labels else _("leaders")


def campaign_sentence(figures: CampaignFigures) -> str:
    """The campaign's sentence: enterprises and people who sat, first and final pass rate."""
    total = figures.total
    if not figures.rounds_opened:
        return _("%(name)s: no round has opened yet.", name=figures.name)
    sentence = _(
        "The %(posts)s of %(enterprises)s enterprises, %(people)s people in all, sat the "
        "%(name)s; the first-attempt pass rate was %(first)s and, with makeup exams, the final "
        "pass rate %(final)s",
        enterprises=total.sat.enterprises,
        posts=_posts(figures),
        people=total.sat.people,
        name=figures.name,
        first=percent_text(total.first_rate),
        final=percent_text(total.final_rate),
    )
    if figures.provisional:
        sentence += _(" (provisional: a round or its makeup is still open)")
    return sentence + _(".")


def not_passed_sentence(figures: CampaignFigures) -> str:
    """Who the campaign still expects to pass, or that everybody has."""
    left = figures.total.not_passed
    if not left.people:
        return _("Everybody the campaign expected has passed.")
    return _(
        "%(people)s people of %(enterprises)s enterprises have not yet passed.",
        people=left.people,
        enterprises=left.enterprises,
    )
