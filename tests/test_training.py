"""Training sessions: invitations, enrolment with a waiting list, QR sign-in and roll call,
the hours ledger against the legal minimum, the exam's training condition, calendars."""

from datetime import date, timedelta

import pytest
from conftest import PASSWORD, valid_id_number
from sqlalchemy import select

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import format_datetime, local_today, utcnow
from exam.people.models import PersonRole, Sector
from exam.training import services
from exam.training.models import Enrolment, EnrolmentStatus, TrainingSession


def _client(app, user):
    client = app.test_client()
    assert (
        client.post("/login", data={"login": user.username, "password": PASSWORD}).status_code
        == 302
    )
    return client


def _session(starts_in=timedelta(days=3), hours=4.0, capacity=None, **fields) -> TrainingSession:
    now = utcnow()
    session = TrainingSession(
        title=fields.pop("title", "危险化学品企业主要负责人专题培训"),
        hours=hours,
        starts_at=now + starts_in,
        ends_at=now + starts_in + timedelta(hours=4),
        capacity=capacity,
        signin_secret=services.new_secret(),
        invitation=fields.pop("invitation", {}),
        venue="区应急局三楼会议室",
        **fields,
    )
    db.session.add(session)
    db.session.commit()
    return session


def _earlier_this_year(days: int = 2):
    """A moment a few days ago, but in this (Beijing) year whatever today is."""
    from exam.core.timeutil import display_zone

    now = utcnow()
    start = now.astimezone(display_zone()).replace(
        month=1, day=1, hour=1, minute=0, second=0, microsecond=0
    )
    return max(now - timedelta(days=days), start)


def _attended(person, hours, when):
    session = _session(starts_in=when - utcnow(), hours=hours)
    db.session.add(
        Enrolment(
            session_id=session.id, person_id=person.id, attended_at=when, attended_by="rollcall"
        )
    )
    db.session.commit()
    return session


# --- hour requirements ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sectors", "appointed", "hours", "initial"),
    [
        (PersonRole.PRINCIPAL_LEADER, ("hazardous_chemicals",), "this year", 48, True),
        (PersonRole.PRINCIPAL_LEADER, ("hazardous_chemicals",), "earlier", 16, False),
        (PersonRole.PRINCIPAL_LEADER, ("hazardous_chemicals",), None, 16, False),
        (PersonRole.SAFETY_DIRECTOR, ("metal_smelting",), "this year", 48, True),
        (PersonRole.SAFETY_DIRECTOR, ("metal_smelting",), "earlier", 16, False),
        (PersonRole.SAFETY_MANAGER, ("coal_mine",), "earlier", 16, False),
        (PersonRole.PRINCIPAL_LEADER, ("dust_explosion",), "this year", 32, True),
        (PersonRole.PRINCIPAL_LEADER, ("dust_explosion",), "earlier", 12, False),
        (PersonRole.SAFETY_DIRECTOR, ("construction",), "this year", 32, True),
        (PersonRole.SAFETY_MANAGER, ("construction",), "earlier", 12, False),
        # An enterprise in a high-risk and a general sector is high-risk.
        (PersonRole.SAFETY_MANAGER, ("construction", "fireworks"), "earlier", 16, False),
    ],
)
def test_the_hours_the_law_asks(
    app, make_person, make_enterprise, role, sectors, appointed, hours, initial
):
    year = local_today().year
    on = {"this year": date(year, 1, 15), "earlier": date(year - 3, 6, 1), None: None}[appointed]
    person = make_person(role=role, enterprise=make_enterprise(sectors=sectors), appointed_on=on)
    requirement = services.requirement(person, year)
    assert (requirement.hours, requirement.initial) == (hours, initial)
    assert services.requirement(person, year + 1).initial is False  # the year after: retraining


def test_the_ledger_counts_attended_hours_of_the_year_only(app, make_person):
    person = make_person()
    now = utcnow()
    _attended(person, 8, _earlier_this_year(2))
    _attended(person, 6, now - timedelta(days=400))  # another year
    session = _session(hours=4)
    db.session.add(Enrolment(session_id=session.id, person_id=person.id))  # enrolled, not attended
    cancelled = _attended(person, 5, _earlier_this_year(1))
    cancelled.cancelled_at = now
    db.session.commit()
    ledger = services.ledger(person, local_today().year)
    assert ledger.sessions == 8 and ledger.requirement.hours == 16 and ledger.gap == 8


# --- enrolment --------------------------------------------------------------------------------------


def test_capacity_and_the_waiting_list(app, make_person):
    session = _session(capacity=2)
    people = [make_person() for _ in range(4)]
    now = utcnow()
    statuses = [services.enrol(session, p, now).status for p in people]
    assert statuses == ["enrolled", "enrolled", "waiting", "waiting"]
    assert services.enrol(session, people[0], now).status == "enrolled"  # twice: the same place
    first = db.session.scalar(db.select(Enrolment).where(Enrolment.person_id == people[0].id))
    promoted = services.withdraw(first, now)
    assert promoted.person_id == people[2].id and promoted.status == "enrolled"
    with pytest.raises(services.TrainingError) as refused:
        services.set_capacity(session, 1)
    assert refused.value.code == "capacity_below_enrolled"
    services.set_capacity(session, 3)  # a seat more: the next on the waiting list gets it
    db.session.commit()
    assert {e.person_id for e in session.enrolments if e.status == "enrolled"} == {
        p.id for p in people[1:]
    }


def test_only_invited_people_enrol(app, make_person, make_enterprise):
    from exam.people.models import Sector

    chemicals = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
    session = _session()
    session.sectors = [chemicals]
    db.session.commit()
    inside = make_person(enterprise=make_enterprise(sectors=("hazardous_chemicals",)))
    outside = make_person(enterprise=make_enterprise(sectors=("construction",)))
    assert services.is_invited(session, inside) and not services.is_invited(session, outside)
    with pytest.raises(services.TrainingError):
        services.enrol(session, outside, utcnow())
    session.invitation = {"person_ids": [outside.id]}
    assert services.is_invited(session, outside)


# --- attendance -------------------------------------------------------------------------------------


def test_qr_sign_in_is_bound_to_the_session_and_its_time(app, make_user):
    candidate = make_user(UserRole.CANDIDATE)
    client = _client(app, candidate)
    now = utcnow()
    session = _session(starts_in=timedelta(minutes=-10), hours=3)
    code = services.signin_code(session, now)
    forged = client.post(f"/training/{session.id}/signin", data={"code": "AAAAAAAAAAAAAAAA"})
    assert forged.status_code == 409 and "无效或已过期" in forged.get_data(as_text=True)
    old = services.signin_code(session, now - timedelta(minutes=10))  # expired
    assert client.post(f"/training/{session.id}/signin", data={"code": old}).status_code == 409
    page = client.get(f"/training/{session.id}/signin?code={code}")
    assert page.status_code == 200 and "签到" in page.get_data(as_text=True)
    assert "学时已计入" in client.post(
        f"/training/{session.id}/signin", data={"code": code}
    ).get_data(as_text=True)
    client.post(f"/training/{session.id}/signin", data={"code": code})  # twice
    enrolments = db.session.scalars(
        db.select(Enrolment).where(Enrolment.person_id == candidate.person_id)
    ).all()
    assert len(enrolments) == 1 and enrolments[0].attended_by == "qr"
    assert services.ledger(candidate.person, local_today().year).sessions == 3

    other = _session(starts_in=timedelta(minutes=-10))
    stolen = client.post(
        f"/training/{other.id}/signin", data={"code": code}
    )  # another session's code
    assert stolen.status_code == 409


def test_scanning_again_after_signing_in_shows_signed_in_and_no_button(app, make_user):
    candidate = make_user(UserRole.CANDIDATE)
    client = _client(app, candidate)
    session = _session(starts_in=timedelta(minutes=-10), hours=3)
    code = services.signin_code(session, utcnow())
    client.post(f"/training/{session.id}/signin", data={"code": code})
    signed_at = db.session.scalar(db.select(Enrolment.attended_at))
    later = services.signin_code(session, utcnow() - timedelta(minutes=10))  # the code moved on
    for again in (code, later):
        response = client.get(f"/training/{session.id}/signin?code={again}")
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and 'id="signin-done"' in page
        assert f"已签到（{format_datetime(signed_at)}）" in page
        assert 'id="signin-button"' not in page and 'id="signin-error"' not in page
    again = client.post(f"/training/{session.id}/signin", data={"code": later})
    assert again.status_code == 200 and "已签到" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(Enrolment.attended_at)) == signed_at  # counted once


def test_sign_in_outside_the_sessions_time_is_refused(app, make_user):
    candidate = make_user(UserRole.CANDIDATE)
    client = _client(app, candidate)
    later = _session(starts_in=timedelta(hours=5))
    earlier = _session(starts_in=timedelta(hours=-6))  # ended two hours ago
    for session in (later, earlier):
        code = services.signin_code(session, utcnow())  # a valid code, at the wrong time
        response = client.post(f"/training/{session.id}/signin", data={"code": code})
        assert response.status_code == 409 and "半小时" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Enrolment.id))) == 0


def test_roll_call_marks_and_unmarks(app, make_user, make_person):
    organiser = make_user(UserRole.ORGANISER)
    session = _session(starts_in=timedelta(minutes=-5), hours=2)
    here, away = make_person(), make_person()
    for person in (here, away):
        services.enrol(session, person, utcnow())
    db.session.commit()
    manager = _client(app, organiser)
    response = manager.post(
        f"/manage/training/{session.id}/rollcall",
        data={"present": [here.id, away.id]},
        follow_redirects=True,
    )
    assert "2 人" in response.get_data(as_text=True)
    # The page listed both as present; now only one is ticked.
    manager.post(
        f"/manage/training/{session.id}/rollcall",
        data={"present": [here.id], "was_present": [here.id, away.id]},
    )
    db.session.expire_all()
    attended = {e.person_id for e in db.session.scalars(db.select(Enrolment)) if e.attended_at}
    assert attended == {here.id}
    # Someone who signs in by QR code while the list is open is not unmarked by saving it.
    late = make_person()
    services.enrol(session, late, utcnow())
    services.sign_in(session, late, services.signin_code(session, utcnow()), utcnow())
    db.session.commit()
    manager.post(
        f"/manage/training/{session.id}/rollcall",
        data={"present": [here.id], "was_present": [here.id]},
    )
    db.session.expire_all()
    assert (
        db.session.scalar(db.select(Enrolment).where(Enrolment.person_id == late.id)).attended_at
        is not None
    )


def test_an_organiser_limited_to_a_sector_manages_only_its_sessions(app, make_user, make_person):
    from exam.people.models import Sector

    chemicals = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
    mines = db.session.scalar(db.select(Sector).where(Sector.code == "coal_mine"))
    session = _session(
        starts_in=timedelta(minutes=-5), invitation={"person_ids": [make_person().id]}
    )
    session.sectors = [chemicals]
    db.session.commit()
    outsider = _client(app, make_user(UserRole.ORGANISER, scope_sectors=[mines]))
    for url in (
        f"/manage/training/{session.id}",
        f"/manage/training/{session.id}/edit",
        f"/manage/training/{session.id}/qr.svg",
    ):
        assert outsider.get(url).status_code == 404, url
    assert (
        outsider.post(f"/manage/training/{session.id}/cancel", data={"reason": "x"}).status_code
        == 404
    )
    assert session.title not in outsider.get("/manage/training").get_data(as_text=True)
    insider = _client(app, make_user(UserRole.ORGANISER, scope_sectors=[chemicals]))
    assert insider.get(f"/manage/training/{session.id}").status_code == 200


def test_withdrawing_after_the_start_or_after_signing_in_is_refused(app, make_person):
    session = _session(starts_in=timedelta(minutes=-5))
    person = make_person()
    enrolment = services.enrol(session, person, utcnow())
    with pytest.raises(services.TrainingError) as refused:
        services.withdraw(enrolment, utcnow())
    assert refused.value.code == "started"


def test_a_strange_sign_in_code_is_refused_not_an_error(app, make_user):
    client = _client(app, make_user(UserRole.CANDIDATE))
    session = _session(starts_in=timedelta(minutes=-5))
    assert client.get(f"/training/{session.id}/signin?code=é").status_code == 409
    assert (
        client.get("/manage/training/hours?year=10000").status_code == 403
    )  # a candidate: not theirs


# --- organisers' pages -------------------------------------------------------------------------------


def test_a_session_that_ends_before_it_starts_or_with_absurd_hours_is_refused(
    app, client, login_as
):
    login_as(UserRole.ORGANISER)
    base = {
        "title": "有限空间作业专题培训",
        "starts_at": "2026-12-10T09:00",
        "ends_at": "2026-12-10T12:00",
        "hours": 3,
        "mode": "onsite",
        "venue": "区应急局",
    }
    for change, message in (
        ({"ends_at": "2026-12-10T08:00"}, "结束时间必须晚于开始时间"),
        ({"hours": -2}, "0.5 至 40 学时"),
        ({"hours": 500}, "0.5 至 40 学时"),
        ({"person_logins": valid_id_number(998)}, "未找到"),
        ({"person_logins": "370102000000000000"}, "身份证号含有无效的出生日期"),  # not a real one
        ({"person_logins": "12345"}, "不是有效的身份证号或手机号"),
        ({"mode": "online"}, "网络培训须填写链接"),
    ):
        response = client.post("/manage/training/new", data={**base, **change})
        assert message in response.get_data(as_text=True), change
    assert db.session.scalar(db.select(db.func.count(TrainingSession.id))) == 0
    assert client.post("/manage/training/new", data=base).status_code == 302
    session = db.session.scalar(db.select(TrainingSession))
    assert session.hours == 3 and len(session.signin_secret) > 20


def test_shortfall_lists_those_short_and_invites_them_in_one_action(app, make_user, make_person):
    organiser = make_user(UserRole.ORGANISER)
    short, done = make_person("钱短"), make_person("孙足")
    _attended(done, 16, _earlier_this_year(1))
    session = _session(title="年度再培训")
    manager = _client(app, organiser)
    page = manager.get("/manage/training/hours").get_data(as_text=True)
    assert "钱短" in page and "孙足" not in page
    manager.post(
        "/manage/training/hours/invite", data={"person": [short.id], "session": session.id}
    )
    db.session.expire_all()
    assert db.session.get(TrainingSession, session.id).invitation["person_ids"] == [short.id]
    new = manager.post(
        "/manage/training/hours/invite", data={"person": [short.id], "session": "new"}
    )
    assert new.status_code == 302 and f"person={short.id}" in new.headers["Location"]
    assert short.id_number in manager.get(new.headers["Location"]).get_data(as_text=True)


def test_an_exam_can_require_the_training_hours(app, make_exam, make_user):
    exam = make_exam(requires_training=True)
    candidate = make_user(UserRole.CANDIDATE)
    client = _client(app, candidate)
    refused = client.post(f"/api/v1/exams/{exam.id}/attempts")
    assert refused.status_code == 403 and "培训学时" in refused.get_json()["error"]["message"]
    assert "已完成 0 / 16" in client.get("/exams").get_data(as_text=True)
    _attended(candidate.person, 16, _earlier_this_year(1))
    assert client.post(f"/api/v1/exams/{exam.id}/attempts").status_code == 201


def test_calendar_views_and_ics(app, client, make_user):
    session = _session(
        starts_in=timedelta(days=1),
        title="粉尘涉爆企业专题培训",
        mode="online",
        link="https://meeting.example.gov.cn/room?pwd=secret",
    )
    session.sectors = [db.session.scalar(select(Sector).filter_by(code="dust_explosion"))]
    db.session.commit()
    _session(starts_in=timedelta(days=1, hours=1), title="全区安全生产法专题讲座", hours=2)
    manager = _client(app, make_user(UserRole.ORGANISER))
    from exam.core.timeutil import display_zone

    day = (utcnow() + timedelta(days=1)).astimezone(display_zone()).date().isoformat()
    for view in ("month", "week"):
        page = manager.get(f"/manage/training?view={view}&date={day}").get_data(as_text=True)
        assert "粉尘涉爆企业专题培训" in page
    assert "meeting" not in client.get("/training/calendar.ics").get_data(as_text=True)
    # A sector's calendar: its own sessions and those for every sector (naming none).
    coal = manager.get(f"/manage/training?date={day}&sector=coal_mine").get_data(as_text=True)
    assert "粉尘涉爆企业专题培训" not in coal and "全区安全生产法专题讲座" in coal
    dust = manager.get(f"/manage/training?date={day}&sector=dust_explosion").get_data(as_text=True)
    assert "粉尘涉爆企业专题培训" in dust and "全区安全生产法专题讲座" in dust
    from icalendar import Calendar

    feed = Calendar.from_ical(client.get("/training/calendar.ics").data)
    events = [e for e in feed.walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == [
        "粉尘涉爆企业专题培训（4学时）",
        "全区安全生产法专题讲座（2学时）",
    ]
    assert events[0].decoded("dtstart") == session.starts_at.replace(microsecond=0)
    coal_feed = Calendar.from_ical(client.get("/training/calendar.ics?sector=coal_mine").data)
    assert [str(e["summary"]) for e in coal_feed.walk("VEVENT")] == [
        "全区安全生产法专题讲座（2学时）"
    ]


def test_candidates_see_their_sessions_and_enrol(app, make_user):
    candidate = make_user(UserRole.CANDIDATE)
    session = _session(capacity=1, invitation={"person_ids": [candidate.person_id]})
    client = _client(app, candidate)
    assert f'id="notice-session-{session.id}"' in client.get("/").get_data(as_text=True)
    response = client.post(f"/training/{session.id}/enrol", follow_redirects=True)
    assert "您已报名" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Enrolment.status)) == EnrolmentStatus.ENROLLED
    assert client.get("/manage/training").status_code == 403


@pytest.mark.parametrize("role", [UserRole.ADMIN, UserRole.ORGANISER])
def test_a_persons_training_page_shows_the_outside_training_form(
    client, login_as, make_person, role
):
    """Issue 16: the page answered 500 ('ExternalForm' object has no attribute 'submit')."""
    person = make_person()
    login_as(role)
    response = client.get(f"/people/{person.id}/training")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "新增</button>" in page
