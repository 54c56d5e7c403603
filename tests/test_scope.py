"""Who may manage what: one Scope per user and request, and every feature's can_manage built on
it, checked over one table of cases (exams, courses, screenings, training sessions)."""

from types import SimpleNamespace

import pytest

from exam.auth.models import UserRole
from exam.exams import access as exam_access
from exam.exams.models import Exam
from exam.learning import access as learning_access
from exam.learning.models import Course
from exam.people.scope import Scope
from exam.screenings import access as screening_access
from exam.training import access as training_access
from exam.training.models import TrainingSession

HAZCHEM, SMELTING = 1, 2
EAST, WEST = 10, 20


def _user(role, sectors=(), towns=(), user_id=7):
    return SimpleNamespace(
        id=user_id,
        role=role,
        is_authenticated=True,
        enterprise_id=None,
        scope_sectors=[SimpleNamespace(id=i) for i in sectors],
        scope_towns=[SimpleNamespace(id=i) for i in towns],
    )


USERS = {
    "admin": _user(UserRole.ADMIN),
    "organiser": _user(UserRole.ORGANISER),
    "organiser-hazchem": _user(UserRole.ORGANISER, sectors=[HAZCHEM]),
    "organiser-east": _user(UserRole.ORGANISER, towns=[EAST]),
    "organiser-hazchem-east": _user(UserRole.ORGANISER, sectors=[HAZCHEM], towns=[EAST]),
    "contact": _user(UserRole.CONTACT),
    "candidate": _user(UserRole.CANDIDATE),
}

# (what it is for: sectors, towns) -> who manages it
CASES = [
    (([], []), {"admin", "organiser"}),
    (([HAZCHEM], []), {"admin", "organiser", "organiser-hazchem"}),
    (([HAZCHEM, SMELTING], []), {"admin", "organiser"}),
    (([], [EAST]), {"admin", "organiser", "organiser-east"}),
    (
        ([HAZCHEM], [EAST]),
        {"admin", "organiser", "organiser-hazchem", "organiser-east", "organiser-hazchem-east"},
    ),
    (([HAZCHEM], [WEST]), {"admin", "organiser", "organiser-hazchem"}),
    (([SMELTING], [EAST]), {"admin", "organiser", "organiser-east"}),
]


def _managers(can_manage, thing) -> set[str]:
    return {name for name, user in USERS.items() if can_manage(user, thing)}


@pytest.mark.parametrize("reach, expected", CASES)
def test_exams_courses_and_scope_agree(reach, expected):
    sectors, towns = reach
    rules = {"sector_ids": sectors, "town_ids": towns}
    assert {n for n, u in USERS.items() if Scope.of(u).covers(sectors, towns)} == expected
    assert _managers(exam_access.can_manage, Exam(eligibility=rules)) == expected
    assert _managers(learning_access.can_manage, Course(assignment=rules)) == expected


@pytest.mark.parametrize("reach, expected", [c for c in CASES if len(c[0][0]) <= 1])
def test_screenings_follow_the_same_scope(reach, expected):
    """A screening is held for one sector (or none) and one town (or none)."""
    sectors, towns = reach
    sector = sectors[0] if sectors else None
    town = towns[0] if towns else None
    managers = {n for n, u in USERS.items() if screening_access.can_manage(u, sector, town)}
    assert managers == expected


@pytest.mark.parametrize("reach, expected", CASES)
def test_training_sessions_follow_the_same_scope_and_their_makers(reach, expected):
    """Sessions are for sectors only; whoever made one manages it too."""
    sectors, _towns = reach
    session = TrainingSession(created_by_id=999)
    session.sectors = [SimpleNamespace(id=i) for i in sectors]
    by_sector = {n for n, u in USERS.items() if Scope.of(u).covers(sectors, [])}
    assert _managers(training_access.can_manage, session) == by_sector
    session.created_by_id = USERS["organiser-east"].id
    assert "organiser-east" in _managers(training_access.can_manage, session)


def test_a_makeup_exam_goes_with_its_original():
    original = Exam(eligibility={"sector_ids": [HAZCHEM]})
    makeup = Exam(eligibility={}, makeup_of=original)
    assert _managers(exam_access.can_manage, makeup) == {
        "admin",
        "organiser",
        "organiser-hazchem",
    }


def test_the_scope_is_computed_once_per_request(app, login_as, make_exam, monkeypatch, client):
    for _ in range(3):
        make_exam()
    login_as(UserRole.ORGANISER)
    calls = []
    original = Scope.of.__func__

    def counting(cls, user):
        calls.append(user)
        return original(cls, user)

    monkeypatch.setattr(Scope, "of", classmethod(counting))
    assert client.get("/manage/exams/").status_code == 200
    assert len(calls) == 1


def test_screenings_listed_are_those_managed(app, make_town):
    """The list of screenings (SQL) and ``can_manage`` (Python) over one table of screenings."""
    from datetime import UTC, datetime

    from exam.core.extensions import db
    from exam.people.models import Sector
    from exam.screenings.models import Screening

    sectors = db.session.scalars(db.select(Sector).order_by(Sector.id).limit(2)).all()
    towns = [make_town(), make_town()]
    screenings = []
    for sector in (*sectors, None):
        for town in (*towns, None):
            screening = Screening(
                starts_at=datetime(2026, 6, 1, 2, tzinfo=UTC),
                sector_id=sector.id if sector else None,
                town_id=town.id if town else None,
            )
            db.session.add(screening)
            screenings.append(screening)
    db.session.flush()
    users = {
        **USERS,
        "organiser-first-sector": _user(UserRole.ORGANISER, sectors=[sectors[0].id]),
        "organiser-first-town": _user(UserRole.ORGANISER, towns=[towns[0].id]),
        "organiser-both": _user(UserRole.ORGANISER, sectors=[sectors[1].id], towns=[towns[1].id]),
    }
    for name, user in users.items():
        listed = set(db.session.scalars(screening_access.visible_screenings(Scope.of(user))))
        managed = {
            s for s in screenings if screening_access.can_manage(user, s.sector_id, s.town_id)
        }
        assert listed & set(screenings) == managed, name
    everyone = set(
        db.session.scalars(screening_access.visible_screenings(Scope.of(USERS["admin"])))
    )
    assert set(screenings) <= everyone  # the table has rows the checks above tell apart
    assert not set(
        db.session.scalars(screening_access.visible_screenings(Scope.of(USERS["contact"])))
    )
