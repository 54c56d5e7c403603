"""The reports' pages of campaigns: the campaigns of a year in the bureau's words, one
campaign's figures per post, and the people behind each figure."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from exam.auth.access import MANAGERS, roles_required
from exam.campaigns.models import Campaign
from exam.core.extensions import db
from exam.core.timeutil import local_today, utcnow
from exam.core.web import int_arg
from exam.people.models import PersonRole
from exam.reports.queries.campaigns import (
    MEASURES,
    campaign_figures,
    campaign_people,
    campaigns_of_year,
)
from exam.reports.queries.rates import percent_text
from exam.reports.render.campaigns import campaign_sentence, not_passed_sentence

MEASURE_LABELS = {
    "expected": _l("Expected"),
    "sat": _l("Sat the exam"),
    "passed_first": _l("Passed first time"),
    "passed_final": _l("Passed finally"),
    "not_passed": _l("Not passed yet"),
}


def _campaign_or_404(campaign_id: int) -> Campaign:
    """Any campaign: its figures are read within the user's scope, as every report is."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@roles_required(*MANAGERS)
def campaigns_page():
    """The campaigns of a year, each in the bureau's words."""
    year = int_arg("year", local_today().year) or local_today().year
    if not 2000 <= year <= 2100:
        year = local_today().year
    now = utcnow()
    entries = []
    for campaign in campaigns_of_year(year):
        figures = campaign_figures(current_user, campaign, now)
        entries.append((campaign, figures, campaign_sentence(figures)))
    return render_template("reports/campaigns.html", entries=entries, year=year)


@roles_required(*MANAGERS)
def campaign(campaign_id: int):
    """One campaign per post: each number links to the people (or enterprises) behind it."""
    campaign = _campaign_or_404(campaign_id)
    figures = campaign_figures(current_user, campaign, utcnow())
    return render_template(
        "reports/campaign.html",
        campaign=campaign,
        figures=figures,
        sentence=campaign_sentence(figures),
        left=not_passed_sentence(figures),
        measures=MEASURES,
        labels=MEASURE_LABELS,
        percent=percent_text,
    )


@roles_required(*MANAGERS)
def campaign_list(campaign_id: int):
    """The people behind one figure of a campaign (``by=enterprise``: their enterprises)."""
    campaign = _campaign_or_404(campaign_id)
    measure = request.args.get("measure", "expected")
    role = request.args.get("role") or None
    if measure not in MEASURES or (role is not None and role not in PersonRole.ALL):
        abort(404)
    by_enterprise = request.args.get("by") == "enterprise"
    people = campaign_people(current_user, campaign, measure, role, utcnow())
    return render_template(
        "reports/campaign_list.html",
        campaign=campaign,
        people=people,
        measure=measure,
        role=role,
        by_enterprise=by_enterprise,
        label=MEASURE_LABELS[measure],
        post=PersonRole.label(role) if role else None,
        PersonRole=PersonRole,
    )
