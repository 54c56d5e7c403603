"""Who may manage a campaign, and the one loader of a campaign for its managers.

A campaign is for a part of the district (its ``reach``: sectors and towns/streets, none: all);
an organiser manages the campaigns whose reach lies within their scope, as with exams. Its
rounds are exams within its reach."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from exam.auth.models import User, UserRole
from exam.campaigns.models import Campaign
from exam.core.extensions import db
from exam.exams import access as exams_access
from exam.exams.models import Exam
from exam.people.scope import Scope, scope_of


def can_manage(user: User, campaign: Campaign) -> bool:
    """Whether ``user`` manages the campaign: its reach lies within their scope."""
    return scope_of(user).covers_rules(campaign.reach)


def reach_of(reach: dict | None) -> Scope:
    """A campaign's reach as a scope, so that "this exam lies within it" is the scope's rule."""
    reach = reach or {}
    return Scope(
        role=UserRole.ORGANISER,
        sector_ids=frozenset(reach.get("sector_ids") or ()) or None,
        town_ids=frozenset(reach.get("town_ids") or ()) or None,
    )


def may_be_round(user: User, reach: dict | None, exam: Exam) -> bool:
    """Whether ``user`` may make ``exam`` a round of a campaign of this reach: an original
    exam (not a makeup) they manage, for people within the reach."""
    return (
        exam.makeup_of_id is None
        and exams_access.can_manage(user, exam)
        and reach_of(reach).covers_rules(exam.eligibility)
    )


def get_campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not can_manage(current_user, campaign):
        abort(404)
    return campaign


def managed_campaigns() -> list[Campaign]:
    """The campaigns the signed-in user manages, newest year first."""
    campaigns = db.session.scalars(
        select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())
    )
    return [c for c in campaigns if can_manage(current_user, c)]
