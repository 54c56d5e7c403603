"""The reports keep their rows in step through the signals of the features that own the data,
never through a listener on the global ORM session class; and reading a report writes nothing
(the rosters of closed exams are the scheduler's to take)."""

from __future__ import annotations

import pytest
from reports_data import hand_made
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.exams.models import Exam
from exam.reports.kept.models import Candidacy, LastResult, PersonHours, Roster

FLUSH_EVENTS = ("before_flush", "after_flush", "after_flush_postexec")


def _ours(listeners) -> list[str]:
    return [
        f"{fn.__module__}.{fn.__qualname__}"
        for fn in listeners
        if getattr(fn, "__module__", "").split(".")[0] in ("exam", "scheduler")
    ]


def test_the_app_puts_no_listener_on_the_session_class(app):
    with app.app_context():
        for name in FLUSH_EVENTS:
            for session in (Session(), db.session()):
                assert _ours(getattr(session.dispatch, name)) == [], name


def _snapshot() -> dict[str, list]:
    """Every kept row of the reports, the exams, and how many rows each table holds."""
    db.session.expire_all()
    kept = {
        model.__tablename__: sorted(
            tuple(str(value) for value in row)
            for row in db.session.execute(select(*model.__table__.columns))
        )
        for model in (Candidacy, LastResult, PersonHours, Roster, Exam)
    }
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }
    return kept | {"counts": sorted(counts.items())}


@pytest.mark.parametrize(
    "url",
    [
        "/reports/",
        "/reports/pass-rates?group_by=exam&from=2026-01-01&to=2026-12-31",
        "/reports/pass-rates?group_by=enterprise&from=2026-01-01&to=2026-12-31",
        "/reports/tracker",
        "/reports/items",
        "/reports/exams/{exam}/items",
    ],
)
def test_reading_a_report_writes_nothing(app, client, login_as, url):
    """The hand-made exams have closed with no roster taken: a report reads the rosters as
    the scheduler will take them, and leaves the database as it was."""
    data = hand_made()
    login_as(UserRole.ADMIN)
    before = _snapshot()
    assert db.session.scalar(select(func.count()).select_from(Roster)) == 0
    response = client.get(url.format(exam=data.exams[0].id))
    assert response.status_code == 200, url
    assert _snapshot() == before


def test_kept_rows_follow_the_services_that_announce_their_changes(app, make_user):
    """Roll call, a move to another enterprise and naming people for a closed exam, each through its
    service: the kept rows equal a rebuild."""
    from datetime import date, timedelta

    from reports_data import NOW
    from test_reports_candidacy import hours_kept, hours_rebuilt, kept, rebuilt

    from exam.exams import examday
    from exam.people.services import update_person
    from exam.reports.kept import candidacy
    from exam.training import services as training
    from exam.training.models import TrainingSession

    data = hand_made()
    candidacy.take_rosters(NOW)
    db.session.commit()
    admin = make_user(UserRole.ADMIN)
    p = data.people
    held = db.session.scalar(
        select(TrainingSession).where(TrainingSession.title == "危化品安全培训")
    )
    # 李四 was there after all, 张二 and 张三 were not.
    training.roll_call(
        held,
        {p.p1.id, p.p4.id},
        admin,
        held.starts_at + timedelta(hours=1),
        shown_present={p.p1.id, p.p2.id, p.p3.id},
    )
    db.session.commit()
    assert hours_kept() == hours_rebuilt()
    assert {r[0] for r in hours_kept() if r[2] == 16.0} == {p.p1.id, p.p4.id}
    _a, _b, c = data.enterprises
    e1, _m1, e2, _e3 = data.exams
    update_person(p.p1, {}, c, on=date(2026, 6, 1))  # 张一 moved to 丙 between E1 and E2
    db.session.commit()
    assert kept() == rebuilt()
    placed = db.session.execute(
        select(Candidacy.exam_id, Candidacy.enterprise_id).where(Candidacy.person_id == p.p1.id)
    )
    assert dict(placed.all()) == {e1.id: data.enterprises[0].id, e2.id: c.id}
    assert examday.name_candidates(e2, [p.p5.id], admin) == 1  # E2's roster is taken again
    assert db.session.get(Roster, e2.id) is None
    candidacy.take_rosters(NOW)
    db.session.commit()
    assert kept() == rebuilt()
