"""An exam's set-up at a glance, as the publishing confirmation and the exam's page show it:
the paper (rules, questions per kind and per area, total, pass mark), the window, attempts,
integrity settings, who may sit it and how many people that is, and what to warn about.

It reads the homes of the rules, never restates them: ``services.check`` (what stops
publishing), ``eligibility.candidate_count`` (who the exam is for), ``question_bank.papers``
(totals and coverage)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from exam.core.extensions import db
from exam.core.i18n import select_locale
from exam.exams import services
from exam.exams.eligibility import candidate_count
from exam.exams.forms import REVIEW_LABELS, SCORING_LABELS
from exam.exams.models import Exam, ExamStatus
from exam.people.models import Person, PersonRole, Sector, Town
from exam.questions.forms import DIFFICULTY_LABELS, KIND_LABELS
from exam.questions.models import Topic
from question_bank.papers import FULL_MARKS, guaranteed_per_area

#: Named people listed by name on the summary; more are counted.
NAMES_SHOWN = 30


def paper(exam: Exam) -> dict:
    """The exam's paper: rules, coverage rule, questions per kind and area, total, pass mark."""
    blueprint = services.blueprint_of(exam)
    pool, tree = services.question_pool(), services.topic_tree()
    paths = {t.code: t.path for t in db.session.scalars(select(Topic))}
    sectors = {s.code: s.display_name(select_locale()) for s in db.session.scalars(select(Sector))}
    rows = [
        {
            "count": r.count,
            "kind": KIND_LABELS.get(r.kind, r.kind),
            "points": r.points,
            "subtotal": round(r.count * r.points, 2),
            "topic": paths.get(r.topic, r.topic) if r.topic else None,
            "sector": sectors.get(r.sector, r.sector) if r.sector else None,
            "difficulty": DIFFICULTY_LABELS.get(r.difficulty) if r.difficulty else None,
        }
        for r in blueprint.rules
    ]
    by_kind: dict[str, int] = {}
    by_area: dict[str | None, int] = {}
    for r in blueprint.rules:
        by_kind[r.kind] = by_kind.get(r.kind, 0) + r.count
        area = tree.area_of(r.topic) if r.topic else None
        by_area[area] = by_area.get(area, 0) + r.count
    coverage = None
    if blueprint.coverage is not None:
        guaranteed = guaranteed_per_area(blueprint, pool, tree)
        coverage = {
            "per_area": blueprint.coverage.per_area,
            "areas": [
                (tree.name(a), guaranteed.get(a, 0))
                for a in (blueprint.coverage.areas or tree.areas)
            ],
        }
    total = blueprint.total_points
    return {
        "rows": rows,
        "fixed": len(blueprint.fixed),
        "fixed_points": round(sum(p for _q, p in blueprint.fixed), 2),
        "question_count": blueprint.question_count,
        # Kinds in the bank's order; areas in the tree's, then rules by no topic.
        "by_kind": [(label, by_kind[k]) for k, label in KIND_LABELS.items() if k in by_kind],
        "by_area": [(tree.name(a), by_area[a]) for a in tree.areas if a in by_area]
        + ([(_("any area"), by_area[None])] if None in by_area else []),
        "total": total,
        "confirmed": blueprint.confirmed_total == total != FULL_MARKS,
        "pass_share": round(100 * exam.pass_mark / total, 1) if total else None,
        "coverage": coverage,
    }


def _who(exam: Exam) -> dict:
    """Who the exam's rules name, in words, and how many accounts that is now."""
    rules = exam.eligibility or {}
    locale = select_locale()
    sector_ids, town_ids = rules.get("sector_ids") or [], rules.get("town_ids") or []
    person_ids = [int(i) for i in rules.get("person_ids") or ()]
    sectors = db.session.scalars(
        select(Sector).where(Sector.id.in_(sector_ids)).order_by(Sector.sort_order)
    )
    towns = db.session.scalars(select(Town).where(Town.id.in_(town_ids)).order_by(Town.sort_order))
    people = db.session.scalars(
        select(Person).where(Person.id.in_(person_ids)).order_by(Person.id).limit(NAMES_SHOWN)
    )
    return {
        "posts": [PersonRole.label(r) for r in rules.get("roles") or ()],
        "sectors": [s.display_name(locale) for s in sectors],
        "towns": [t.name for t in towns],
        "people": [p.name for p in people],
        "people_count": len(person_ids),
        "count": candidate_count(exam),
    }


def _integrity(exam: Exam) -> list[str]:
    """The integrity settings in force, one sentence each."""
    blueprint = exam.blueprint or {}
    items = []
    if blueprint.get("shuffle_questions", True):
        items.append(_("Questions shuffled for each candidate"))
    if blueprint.get("shuffle_options", True):
        items.append(_("Options shuffled for each candidate"))
    if exam.one_question_per_page:
        items.append(_("One question per page"))
    if exam.focus_tracking:
        items.append(
            _("Focus losses recorded; submitted after %(n)s", n=exam.focus_loss_limit)
            if exam.focus_loss_limit
            else _("Focus losses recorded, never submitted for them")
        )
    if exam.one_device:
        items.append(_("One device per attempt"))
    if exam.allowed_networks:
        networks = ", ".join(exam.allowed_networks.split())
        items.append(_("Only from the networks %(networks)s", networks=networks))
    if exam.access_code:
        items.append(_("Access code %(code)s", code=exam.access_code))
    if exam.requires_training:
        items.append(_("Only people who have done this year's training hours"))
    if exam.prerequisite_course is not None:
        items.append(_("Course to complete first: %(title)s", title=exam.prerequisite_course.title))
    return items


def _warnings(exam: Exam, sheet: dict, now: datetime) -> list[str]:
    """What an organiser should see before publishing, though it does not stop it."""
    warnings = []
    if sheet["who"]["count"] == 0:
        warnings.append(_("Nobody may sit this exam now: no candidate account matches its rules."))
    if sheet["paper"]["confirmed"]:
        warnings.append(
            _(
                "The paper totals %(total)s points, not 100 (confirmed).",
                total=f"{sheet['paper']['total']:g}",
            )
        )
    if exam.closes_at <= now:
        warnings.append(_("The exam's window is over: nobody could sit it."))
    elif exam.opens_at <= now and not exam.is_published:
        warnings.append(_("The window has begun: the exam opens as soon as it is published."))
    return warnings


def summary(exam: Exam, now: datetime) -> dict:
    """Everything the organiser confirms when publishing, and the exam's page shows."""
    sheet = {
        "paper": paper(exam),
        "who": _who(exam),
        "integrity": _integrity(exam),
        "review": REVIEW_LABELS.get(exam.review_policy, exam.review_policy),
        "scoring": SCORING_LABELS.get(exam.scoring_policy, exam.scoring_policy),
        "status": exam.status(now),
        # What stops publishing (the one home of the rules), then what only warns.
        "problems": [p.render(_) for p in services.check(exam)],
    }
    sheet["warnings"] = _warnings(exam, sheet, now)
    return sheet


def published_message(exam: Exam, now: datetime) -> str:
    """What publishing says, by the state the exam is now in."""
    return {
        ExamStatus.UPCOMING: _("Published: the exam opens at the time set."),
        ExamStatus.OPEN: _("Published: the exam is open now."),
        ExamStatus.CLOSED: _("Published: the exam's window is already over."),
    }.get(exam.status(now), _("Published."))
