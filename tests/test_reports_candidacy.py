"""The candidacies, latest results and hours kept for the reports (``exam.reports.kept.candidacy``,
``exam.reports.kept.hours``) always say what the attempts, the attendance, the register and the
exams say: after each kind of change made through the services,
the kept rows equal a rebuild from scratch; an exam's roster (its no-shows) is taken once it
has closed and stays as it was; and two transactions changing two attempts of one person at
once both count (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from conftest import postgresql_only, statements_run
from reports_data import NOW, hand_made, sit, user_of
from sqlalchemy import select, text

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.exams import examday, news
from exam.exams.models import Attempt
from exam.people.services import announce_moves, update_person
from exam.reports.kept import candidacy
from exam.reports.kept import hours as hourskept
from exam.reports.kept.models import Candidacy, LastResult, PersonHours, Roster
from exam.reports.queries import figures
from exam.screenings import services as screenings
from exam.screenings.models import Screening
from exam.training import services as training
from exam.training.models import Enrolment, ExternalTraining, TrainingSession


def kept() -> list[tuple]:
    """The candidacies, then each account's latest result, as kept."""
    db.session.expire_all()
    rows = sorted(
        tuple(row)
        for row in db.session.execute(
            select(*(getattr(Candidacy, name) for name in candidacy.COLUMNS))
        )
    )
    return rows + sorted(
        tuple(row)
        for row in db.session.execute(
            select(LastResult.user_id, LastResult.attempt_id, LastResult.exam_id, LastResult.passed)
        )
    )


def rebuilt() -> list[tuple]:
    """The rows a rebuild from scratch gives (rolled back afterwards)."""
    db.session.commit()
    candidacy.rebuild()
    candidacy.take_rosters(NOW)
    rows = kept()
    db.session.rollback()
    return rows


@pytest.fixture
def data(app):
    data = hand_made()
    candidacy.take_rosters(NOW)
    db.session.commit()
    return data


@pytest.fixture
def admin(make_user):
    return make_user(UserRole.ADMIN)


def attempt_of(exam, person) -> Attempt:
    return db.session.scalar(
        select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user_of(person).id)
    )


def by_exam(admin) -> dict[int, tuple]:
    rows = figures.pass_rates(
        admin, group_by="exam", date_from=date(2026, 1, 1), date_to=date(2026, 12, 31), now=NOW
    )
    return {
        r.key: (
            r.candidates,
            r.no_shows,
            r.sat_first,
            r.passed_first,
            r.sat_final,
            r.passed_final,
            r.cancelled,
        )
        for r in rows
    }


def test_rows_follow_attempts_cancelled_reopened_started_and_deleted(data, admin):
    e1, m1, e2, _e3 = data.exams
    p = data.people
    # E1: 8 (李四 and 王八 listed); E2: 4; the latest results of the 6 with a score that counts.
    assert kept() == rebuilt() and len(kept()) == 12 + 6
    examday.cancel(attempt_of(m1, p.p2), admin, "代考", NOW)  # 张二's makeup pass cancelled
    reopened = attempt_of(e2, p.p6)
    examday.reopen(reopened, 30, admin, "断电", NOW)  # 王六's E2 is under way again
    news.attempts_changed([sit(e2, p.p8, True)])  # 王八 (a no-show) sits after all
    news.delete_attempt(attempt_of(e1, p.p9))  # 李九's E1 attempt deleted: a no-show again
    db.session.commit()
    assert kept() == rebuilt()
    # E1: 李九 a no-show, 张二 passed only at the cancelled makeup; E2: 王六 under way, 王八 passed.
    assert by_exam(admin) == {e1.id: (8, 3, 4, 2, 4, 2, 2), e2.id: (4, 0, 3, 3, 3, 3, 0)}


def test_people_placed_again_when_they_move_or_their_history_is_corrected(data, admin):
    a, _b, c = data.enterprises
    e1, _m1, e2, _e3 = data.exams
    leader = data.people.p1  # 张一, principal leader at 甲: sat E1 (March) and E2 (September)
    update_person(leader, {}, c, on=date(2026, 10, 1))  # moves to 丙 after both exams
    db.session.commit()
    assert kept() == rebuilt()
    placed = {
        r.exam_id: r.enterprise_id
        for r in db.session.scalars(select(Candidacy).where(Candidacy.person_id == leader.id))
    }
    assert placed == {e1.id: a.id, e2.id: a.id}
    # The move was in fact on 1 August, before E2: the corrected history places E2 at 丙.
    old, new = sorted(leader.employments, key=lambda stint: stint.id)[-2:]
    old.ended_on = new.started_on = date(2026, 8, 1)
    announce_moves([leader.id])
    db.session.commit()
    assert kept() == rebuilt()
    placed = {
        r.exam_id: r.enterprise_id
        for r in db.session.scalars(select(Candidacy).where(Candidacy.person_id == leader.id))
    }
    assert placed == {e1.id: a.id, e2.id: c.id}


def test_a_roster_is_taken_when_the_exam_closes_and_then_kept(data, admin):
    _e1, _m1, e2, e3 = data.exams
    assert by_exam(admin)[e2.id][:2] == (4, 1)  # 王八, a principal leader, never came
    # 王八 becomes a safety manager after E2: who E2 was for stays as it was when it closed.
    update_person(data.people.p8, {"role": "safety_manager"}, None, on=date(2026, 11, 1))
    db.session.commit()
    assert by_exam(admin)[e2.id][:2] == (4, 1)
    # E3 (for 王七 only) has not closed: no roster yet, then one once it has.
    assert db.session.get(Roster, e3.id) is None
    later = e3.closes_at + timedelta(minutes=1)
    assert candidacy.take_rosters(later) == 1 and candidacy.take_rosters(later) == 0
    listed = db.session.scalars(select(Candidacy.person_id).where(Candidacy.exam_id == e3.id)).all()
    assert listed == [data.people.p7.id]


def test_correcting_a_closed_exams_eligibility_takes_its_roster_again(data, admin):
    _e1, _m1, e2, _e3 = data.exams
    e2.eligibility = {"roles": ["principal_leader", "safety_director"]}
    news.exam_changed(e2)
    db.session.commit()
    assert db.session.get(Roster, e2.id) is None
    # The two safety directors (张二, 李五) never sat E2: two more candidates, two more no-shows.
    assert by_exam(admin)[e2.id] == (6, 3, 3, 2, 3, 2, 0)
    candidacy.take_rosters(NOW)  # the scheduler's job (a report reads a pending roster, takes none)
    db.session.commit()
    assert kept() == rebuilt()


def test_two_transactions_changing_one_persons_two_attempts_both_count(app, data, admin):
    """On PostgreSQL this fails without the lock: the second transaction would sum the attempts
    as they were before the first committed (SQLite runs one writer at a time anyway)."""
    e1, m1, _e2, _e3 = data.exams
    p2 = data.people.p2  # 张二: failed E1, passed the makeup
    first, makeup, admin_id = attempt_of(e1, p2).id, attempt_of(m1, p2).id, admin.id
    flushed, errors = threading.Event(), []

    def cancel(attempt_id, hold):
        try:
            with app.app_context():
                from exam.auth.models import User

                if not hold:
                    flushed.wait(5)
                examday.cancel(
                    db.session.get(Attempt, attempt_id), db.session.get(User, admin_id), "违纪", NOW
                )
                db.session.flush()
                if hold:  # the other transaction starts its own meanwhile
                    flushed.set()
                    time.sleep(0.5)
                db.session.commit()
        except Exception as error:  # reported below: a thread's exception would vanish
            errors.append(error)

    threads = [
        threading.Thread(target=cancel, args=(makeup, True)),
        threading.Thread(target=cancel, args=(first, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    row = db.session.scalar(
        select(Candidacy).where(Candidacy.person_id == p2.id, Candidacy.exam_id == e1.id)
    )
    db.session.refresh(row)
    assert (row.sat_first, row.sat_final, row.passed_final, row.cancelled) == (0, 0, 0, 2)


def hours_kept() -> list[tuple]:
    db.session.expire_all()
    return sorted(
        tuple(row)
        for row in db.session.execute(
            select(
                PersonHours.person_id,
                PersonHours.period,
                PersonHours.attended,
                PersonHours.external,
            )
        )
    )


def hours_rebuilt() -> list[tuple]:
    db.session.commit()
    hourskept.rebuild()
    rows = hours_kept()
    db.session.rollback()
    return rows


def test_hours_follow_attendance_sessions_screenings_and_outside_training(data, admin):
    p = data.people
    held = db.session.scalar(
        select(TrainingSession).where(TrainingSession.title == "危化品安全培训")
    )
    film = db.session.scalar(select(Screening))
    assert hours_kept() == hours_rebuilt()
    assert (p.p1.id, 2026, 16.0, 0.0) in hours_kept()
    # A late sign-in, a screening's hours corrected, outside training, an attendance removed.
    db.session.add(Enrolment(session_id=held.id, person_id=p.p4.id, attended_at=held.starts_at))
    training.announce_attendance(people=[p.p4.id], sessions=[held.id])
    film.hours = 3
    screenings.announce_attendance(edited=[film.id])
    db.session.add(
        ExternalTraining(
            person_id=p.p5.id,
            title="外部培训",
            provider="市应急局",
            held_on=date(2026, 8, 1),
            hours=8,
            evidence_name="证明.pdf",
            evidence_type="application/pdf",
            evidence=b"%PDF",
        )
    )
    training.announce_attendance(people=[p.p5.id])
    screenings.remove_attendee(film, p.p9, admin)
    db.session.commit()
    assert hours_kept() == hours_rebuilt()
    assert {(r[0], r[2], r[3]) for r in hours_kept()} >= {
        (p.p4.id, 16.0, 0.0),
        (p.p8.id, 3.0, 0.0),
        (p.p5.id, 0.0, 8.0),
    }
    assert p.p9.id not in {r[0] for r in hours_kept()}
    # The session is cancelled after all: nobody is credited its hours.
    held.cancelled_at = NOW
    training.announce_session_edit(held)
    db.session.commit()
    assert hours_kept() == hours_rebuilt()
    assert {r[0] for r in hours_kept() if r[2]} == {p.p8.id}


def test_editing_or_publishing_the_makeup_keeps_the_originals_roster(data, admin):
    e1, m1, _e2, _e3 = data.exams
    # 李四, an E1 no-show, has left since: E1 was for him when it closed, and stays so.
    leaver = data.people.p4
    leaver.enterprise = None
    announce_moves([leaver.id])
    db.session.commit()
    m1.closes_at += timedelta(days=7)
    m1.published_at = NOW
    news.exam_changed(m1)
    db.session.commit()
    assert db.session.get(Roster, e1.id) is not None
    assert by_exam(admin)[e1.id][:2] == (8, 2)


def test_taking_rosters_while_overdue_attempts_are_closed_does_not_deadlock(app, data):
    """The scheduler closes the attempts of an exam that has just closed, in one transaction,
    while a report takes its roster: on PostgreSQL the roster waits for the closing (the
    exam's roster lock) instead of each waiting for rows the other holds."""
    from reports_data import exam as make_exam

    from exam.exams import services

    x = make_exam(
        "刚结束的考试", NOW - timedelta(hours=3), hours=2
    )  # closed an hour ago, for everybody
    people = sorted(
        [data.people.p1, data.people.p2, data.people.p3, data.people.p8], key=lambda p: p.id
    )
    started = x.opens_at + timedelta(minutes=5)
    attempts = [
        Attempt(
            exam_id=x.id,
            user_id=user_of(p).id,
            number=1,
            seed=1,
            paper=[],
            paper_json="[]",
            started_at=started,
            deadline=started + timedelta(minutes=30),
        )
        for p in people
    ]
    db.session.add_all(attempts)
    news.attempts_changed(attempts)
    db.session.commit()
    order, exam_id = [a.id for a in attempts][::-1], x.id
    first_closed, errors = threading.Event(), []

    def closer():
        try:
            with app.app_context():
                for n, attempt_id in enumerate(order):
                    services.submit(db.session.get(Attempt, attempt_id), NOW, auto=True)
                    if n == 0:  # the roster is taken meanwhile
                        first_closed.set()
                        time.sleep(1.0)
                db.session.commit()
        except Exception as error:  # reported below: a thread's exception would vanish
            errors.append(error)
        finally:
            first_closed.set()

    def roster():
        try:
            with app.app_context():
                first_closed.wait(5)
                time.sleep(0.2)
                candidacy.take_rosters(NOW)
                db.session.commit()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=closer), threading.Thread(target=roster)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    rows = db.session.scalars(select(Candidacy).where(Candidacy.exam_id == exam_id)).all()
    assert len(rows) == 9 and sum(r.started for r in rows) == 4 and all(r.listed for r in rows)


@postgresql_only
def test_a_refresh_takes_its_locks_in_one_statement(app, data):
    """The roster lock of each exam shared, then (exam, account) and (0, account) exclusive:
    one statement, in the order every transaction takes them."""
    e1 = data.exams[0]
    user_id = user_of(data.people.p2).id
    db.session.rollback()
    with statements_run() as statements:
        candidacy.refresh([e1.id], [user_id])
    held = db.session.execute(
        text(
            "SELECT classid::int, objid::int, mode FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid() ORDER BY classid, objid"
        )
    ).all()
    db.session.rollback()
    assert len([s for s in statements if "pg_advisory" in s]) == 1, statements
    assert sorted(held) == sorted(
        [
            (0, user_id, "ExclusiveLock"),
            (e1.id, user_id, "ExclusiveLock"),
            (candidacy.ROSTER_LOCK, e1.id, "ShareLock"),
        ]
    )
