"""Changing campaigns and their rounds. Services flush; the request commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import aliased

from exam.auth.models import User
from exam.campaigns.access import may_be_round, reach_of
from exam.campaigns.errors import CampaignError
from exam.campaigns.models import Campaign, CampaignExam
from exam.core.extensions import db
from exam.exams.access import can_manage as manages_exam
from exam.exams.models import Exam
from exam.people.scope import scope_of


@dataclass(frozen=True)
class CampaignValues:
    """What a campaign's form says."""

    name: str
    year: int
    period: str | None = None
    description: str | None = None
    sector_ids: tuple[int, ...] = ()
    town_ids: tuple[int, ...] = ()

    @property
    def reach(self) -> dict:
        return {"sector_ids": sorted(self.sector_ids), "town_ids": sorted(self.town_ids)}


def save_campaign(campaign: Campaign | None, values: CampaignValues, user: User) -> Campaign:
    """Create a campaign (``campaign`` None) or change one; its reach must lie within the
    user's scope and still hold every round it has."""
    if not scope_of(user).covers_rules(values.reach):
        raise CampaignError("beyond_scope", "sector_ids")
    if campaign is not None:
        reach = reach_of(values.reach)
        outside = [r for r in campaign.rounds if not reach.covers_rules(r.exam.eligibility)]
        if outside:
            raise CampaignError("rounds_beyond_reach", "sector_ids", count=len(outside))
    if campaign is None:
        campaign = Campaign(created_by_id=user.id)
        db.session.add(campaign)
    campaign.name = values.name.strip()
    campaign.year = values.year
    campaign.period = (values.period or "").strip() or None
    campaign.description = (values.description or "").strip() or None
    campaign.reach = values.reach
    db.session.flush()
    return campaign


def add_round(campaign: Campaign, exam_id: int, user: User) -> CampaignExam:
    """Make an original exam a round of the campaign (its makeup follows it)."""
    exam = db.session.get(Exam, exam_id)
    if exam is None or not manages_exam(user, exam):
        raise CampaignError("exam_not_found", "exam_id")
    if exam.makeup_of_id is not None:
        raise CampaignError("not_a_round", "exam_id")
    if not may_be_round(user, campaign.reach, exam):
        raise CampaignError("beyond_reach", "exam_id")
    link = db.session.get(CampaignExam, exam.id)
    if link is not None:
        if link.campaign_id == campaign.id:
            return link
        raise CampaignError("in_another", "exam_id", name=link.campaign.name)
    link = CampaignExam(exam_id=exam.id, campaign=campaign)
    db.session.add(link)
    db.session.flush()
    return link


def remove_round(campaign: Campaign, exam_id: int) -> bool:
    """Take an exam out of the campaign (the exam itself stays); False if it was not in it."""
    link = db.session.get(CampaignExam, exam_id)
    if link is None or link.campaign_id != campaign.id:
        return False
    db.session.delete(link)
    db.session.flush()
    return True


def delete_campaign(campaign: Campaign) -> None:
    """Delete the campaign; its exams stay, in no campaign."""
    db.session.delete(campaign)
    db.session.flush()


@dataclass(frozen=True)
class Round:
    """A round as the campaign's page lists it."""

    exam: Exam
    makeup: Exam | None


def rounds_of(campaign: Campaign) -> list[Round]:
    """The campaign's rounds in the order they open, each with its makeup (if any)."""
    makeup = aliased(Exam)
    rows = db.session.execute(
        select(Exam, makeup)
        .join(CampaignExam, CampaignExam.exam_id == Exam.id)
        .outerjoin(makeup, makeup.makeup_of_id == Exam.id)
        .where(CampaignExam.campaign_id == campaign.id)
        .order_by(Exam.opens_at, Exam.id)
    )
    return [Round(exam, extra) for exam, extra in rows]


def candidate_rounds(campaign: Campaign, user: User) -> list[Exam]:
    """Exams the user could add as rounds: original exams they manage within the campaign's
    reach, in no campaign yet, newest first."""
    free = select(Exam).where(
        Exam.makeup_of_id.is_(None),
        ~select(CampaignExam.exam_id).where(CampaignExam.exam_id == Exam.id).exists(),
    )
    return [
        e
        for e in db.session.scalars(free.order_by(Exam.opens_at.desc(), Exam.id.desc()))
        if may_be_round(user, campaign.reach, e)
    ]


# --- the receiver --------------------------------------------------------------------------
# Connected by the campaigns blueprint; runs inside the exams' unit of work.


def on_exam_changed(_sender=None, *, relinked=(), deleted=(), **_extra) -> None:
    """``exams.signals.exam_changed``: an exam deleted, or made a makeup, is no round any
    more (the database's cascade is not relied on: SQLite does not enforce it)."""
    ids = sorted(set(relinked) | set(deleted))
    if not ids:
        return
    still_a_round = exists(
        select(Exam.id).where(Exam.id == CampaignExam.exam_id, Exam.makeup_of_id.is_(None))
    )
    db.session.execute(
        delete(CampaignExam)
        .where(CampaignExam.exam_id.in_(ids), ~still_a_round)
        .execution_options(synchronize_session=False)
    )
