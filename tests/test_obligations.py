"""Training obligations from the day of appointment (issue 17): initial training due within
``INITIAL_TRAINING_MONTHS`` of taking a post, retraining every calendar year after, following
the enterprise (and sector) held at the time; hours counted toward the obligation of the
period they fall in; the Python rule and its SQL twin over one table of cases."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.core.timeutil import display_zone
from exam.exams.models import Attempt
from exam.people.models import PersonRole
from exam.people.services import mark_left, update_person
from exam.reports.kept.models import PersonHours
from exam.reports.queries.hours import hours_totals
from exam.reports.queries.obligations import overdue_count, overdue_initial
from exam.training import services
from exam.training.models import Enrolment, TrainingSession
from exam.training.obligations import (
    add_months,
    hours_owed,
    obligations_in,
    period_of,
    period_sql,
    requirement,
    stint_covering,
)

HIGH_RISK = ("hazardous_chemicals",)
GENERAL = ("construction",)


def _trained(person, day: date, hours: float) -> None:
    """An attended session on ``day`` (10:00 Beijing time), as the roll call records it."""
    starts = datetime.combine(day, time(10), display_zone())
    session = TrainingSession(
        title="安全生产管理人员培训",
        hours=hours,
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        signin_secret=services.new_secret(),
        invitation={},
        venue="区应急局三楼会议室",
    )
    db.session.add(session)
    db.session.flush()
    db.session.add(
        Enrolment(
            session_id=session.id, person_id=person.id, attended_at=starts, attended_by="rollcall"
        )
    )
    services.announce_attendance(people=[person.id])
    db.session.commit()


def _passed(person, make_exam, on: date) -> None:
    exam = make_exam()
    user = db.session.scalar(select(User).where(User.person_id == person.id))
    when = datetime.combine(on, time(10), display_zone())
    db.session.add(
        Attempt(
            exam_id=exam.id,
            user_id=user.id,
            seed=1,
            paper=[],
            paper_json="[]",
            started_at=when,
            deadline=when + timedelta(hours=1),
            submitted_at=when + timedelta(minutes=40),
            score=90,
            total_points=100,
            passed=True,
        )
    )
    db.session.commit()


def _admin(make_user):
    return make_user(UserRole.ADMIN)


def test_the_initial_deadline_is_the_same_day_months_later_or_the_months_last():
    assert add_months(date(2026, 12, 20), 6) == date(2027, 6, 20)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), 12) == date(2027, 1, 31)


def test_appointed_on_20_december_still_owes_the_rest_of_48_hours_in_the_new_year(
    app, make_person, make_enterprise, make_user, login_as, client
):
    person = make_person(
        enterprise=make_enterprise(sectors=HIGH_RISK), appointed_on=date(2026, 12, 20)
    )
    _trained(person, date(2026, 12, 28), 8)
    _trained(person, date(2027, 3, 10), 12)
    _trained(person, date(2027, 7, 1), 6)  # after the deadline: next year's retraining

    for year in (2026, 2027):  # one obligation over both years, not 48 in 11 days then 16
        owed = requirement(person, year)
        assert (owed.initial, owed.hours, owed.due_on) == (True, 48, date(2027, 6, 20))
    ledger = services.ledger(person, 2027)
    assert (ledger.total, ledger.gap) == (20, 28)
    retraining = services.ledger(person, 2028)
    assert (retraining.requirement.initial, retraining.requirement.hours) == (False, 16)
    assert retraining.requirement.counts_from == date(2027, 6, 21)
    assert retraining.total == 6

    # the reports count the same: one person owing, not done, 20 hours toward the obligation
    assert hours_totals(_admin(make_user), 2027)[:3] == (1, 0, 20.0)

    # the person's file says what is due by when
    login_as(UserRole.ADMIN)
    page = client.get(f"/people/{person.id}/training").get_data(as_text=True)
    assert "初训 48 学时，截止 2027-06-20，已完成 20" in page
    # and so does the organisers' shortfall list, in the new year
    short = client.get("/manage/training/hours?year=2027").get_data(as_text=True)
    assert "初训 48 学时，截止 2027-06-20，已完成 20" in short


def test_a_general_sector_leader_appointed_mid_year_is_flagged_after_six_months(
    app, make_person, make_enterprise, make_user, make_exam
):
    admin = _admin(make_user)
    enterprise = make_enterprise(sectors=GENERAL)
    late = make_person(name="李四", enterprise=enterprise, appointed_on=date(2026, 3, 10))
    _trained(late, date(2026, 5, 1), 10)
    done = make_person(name="王五", enterprise=enterprise, appointed_on=date(2026, 3, 10))
    _trained(done, date(2026, 4, 1), 16)
    _trained(done, date(2026, 9, 10), 16)  # the deadline's day counts
    _passed(done, make_exam, date(2026, 9, 1))
    untested = make_person(name="赵六", enterprise=enterprise, appointed_on=date(2026, 3, 10))
    _trained(untested, date(2026, 4, 2), 32)

    assert overdue_count(admin, date(2026, 9, 10)) == 0  # within six months
    flagged = {o.name: o for o in overdue_initial(admin, date(2026, 9, 11))}
    assert set(flagged) == {"李四", "赵六"}
    assert (flagged["李四"].owed, flagged["李四"].done, flagged["李四"].passed) == (32, 10, False)
    assert flagged["李四"].due_on == date(2026, 9, 10)
    assert (flagged["赵六"].done, flagged["赵六"].passed) == (32, False)
    assert overdue_count(admin, date(2026, 9, 11)) == 2


def test_the_tracker_and_the_dashboard_show_who_was_not_trained_and_passed_in_time(
    app, make_person, make_enterprise, login_as, client
):
    person = make_person(
        name="钱七", enterprise=make_enterprise(sectors=GENERAL), appointed_on=date(2020, 1, 1)
    )
    login_as(UserRole.ADMIN)
    tracker = client.get("/reports/tracker").get_data(as_text=True)
    assert "未按期完成初训并考核合格" in tracker and f'data-person="{person.id}"' in tracker
    dashboard = client.get("/reports/").get_data(as_text=True)
    assert 'id="figure-initial-overdue"' in dashboard


def test_after_a_move_the_obligations_follow_the_enterprise_and_sector_of_the_time(
    app, make_person, make_enterprise, make_user
):
    general, risky = make_enterprise(sectors=GENERAL), make_enterprise(sectors=HIGH_RISK)
    person = make_person(enterprise=general, appointed_on=date(2023, 3, 1))
    update_person(person, {}, risky, date(2026, 5, 1))
    db.session.commit()

    assert requirement(person, 2023).hours == 32  # initial, at the general enterprise
    assert (requirement(person, 2025).initial, requirement(person, 2025).hours) == (False, 12)
    now = requirement(person, 2026)  # a new post: initial training at the high-risk one
    assert (now.initial, now.hours, now.due_on) == (True, 48, date(2026, 11, 1))
    assert (requirement(person, 2027).initial, requirement(person, 2027).hours) == (False, 16)
    sql = {year: dict(db.session.execute(hours_owed(year)).all()) for year in (2025, 2026)}
    assert (sql[2025][person.id], sql[2026][person.id]) == (12, 48)


def test_hours_count_toward_the_obligation_whose_period_they_fall_in(
    app, make_person, make_enterprise
):
    person = make_person(
        enterprise=make_enterprise(sectors=GENERAL), appointed_on=date(2026, 9, 15)
    )
    _trained(person, date(2026, 9, 1), 4)  # before the appointment: counts to no obligation
    _trained(person, date(2026, 10, 8), 20)  # initial
    _trained(person, date(2027, 3, 15), 8)  # the deadline: initial
    _trained(person, date(2027, 3, 16), 5)  # after it: 2028's retraining
    _trained(person, date(2028, 2, 1), 7)  # 2028's retraining

    assert services.ledger(person, 2026).total == 28
    assert services.ledger(person, 2027).total == 28  # the same initial obligation
    assert services.ledger(person, 2028).total == 12
    stint = person.employments[0]
    kept = dict(
        db.session.execute(
            select(PersonHours.period, PersonHours.attended).where(
                PersonHours.person_id == person.id
            )
        ).all()
    )
    assert kept == {2026: 4, -stint.id: 28, 2028: 12}


def test_obligations_in_python_and_in_sql_agree(app, make_person, make_enterprise):
    """One table of cases: the obligation in force each year (hours, initial, period) and the
    period every day's hours count to, by ``requirement``/``period_of`` and their SQL twins."""
    general, risky = make_enterprise(sectors=GENERAL), make_enterprise(sectors=HIGH_RISK)
    people = [
        make_person(enterprise=risky, appointed_on=date(2026, 12, 20)),
        make_person(enterprise=general, appointed_on=date(2026, 8, 31)),
        make_person(enterprise=general, appointed_on=None, role=PersonRole.SAFETY_MANAGER),
        make_person(enterprise=risky, appointed_on=date(2024, 6, 30)),
        make_person(enterprise=general, appointed_on=date(2025, 1, 1)),
    ]
    update_person(people[3], {}, general, date(2025, 7, 1))  # moved to a general enterprise
    mark_left(people[4], date(2026, 4, 1))
    db.session.commit()
    days = [
        date(2024, 6, 29),
        date(2024, 6, 30),
        date(2024, 12, 30),
        date(2025, 6, 30),
        date(2025, 7, 1),
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 12, 20),
        date(2026, 12, 31),
        date(2027, 2, 28),
        date(2027, 6, 20),
        date(2027, 6, 21),
        date(2028, 1, 1),
    ]
    for year in range(2024, 2029):
        o = obligations_in(year)
        owed = db.session.execute(select(o.c.person_id, o.c.owed, o.c.initial, o.c.period)).all()
        sql = {pid: (float(h), bool(i), p) for pid, h, i, p in owed}
        for person in people:
            r = requirement(person, year)
            python = None if r is None else (r.hours, r.initial, r.period)
            assert python == sql.get(person.id), (year, person.id)
    for person in people:
        for day in days:
            stint, held = stint_covering(person.id, day)
            in_sql = db.session.scalar(
                select(period_sql(stint, day)).select_from(stint).where(held)
            )
            if in_sql is None:  # no stint that day: the year
                in_sql = day.year
            assert period_of(person.employments, day) == in_sql, (person.id, day)


def test_a_longer_initial_period_counts_the_hours_again_after_rebuild_hours(
    app, make_person, make_enterprise, runner
):
    person = make_person(
        enterprise=make_enterprise(sectors=GENERAL), appointed_on=date(2026, 1, 10)
    )
    _trained(person, date(2026, 10, 1), 6)  # after a six-month deadline: 2027's retraining
    stint = person.employments[0]
    assert (
        db.session.scalar(select(PersonHours.period).where(PersonHours.person_id == person.id))
        == 2027
    )
    app.config["INITIAL_TRAINING_MONTHS"] = 12
    result = runner.invoke(args=["rebuild-hours"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert (
        db.session.scalar(select(PersonHours.period).where(PersonHours.person_id == person.id))
        == -stint.id
    )
    assert services.ledger(person, 2026).total == 6
