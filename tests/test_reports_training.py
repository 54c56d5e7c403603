"""Training by sector and topic (issue 17): sessions, person-times (人次) and person-hours per
sector and per topic over a period, with the lecturers — on its page, in its .xlsx and PDF, in
the dashboard and in the congress summary. Every figure is worked out by hand below."""

from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from reports_data import MANAGER, NOW, beijing, enterprise, person, sector
from sqlalchemy import select

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.questions.models import Topic
from exam.reports.queries import figures
from exam.reports.queries.training import training_report
from exam.reports.render.summary import Summary, _training_paragraph
from exam.training.models import Enrolment, Mode, TrainingSession

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _topic(code: str) -> Topic:
    return db.session.scalar(select(Topic).where(Topic.code == code))


def _session(title, day, hours, sectors, topics, lecturer, attendees, **fields):
    s = TrainingSession(
        title=title,
        starts_at=beijing(*day),
        ends_at=beijing(*day, hour=17),
        hours=hours,
        signin_secret="s",
        lecturer=lecturer,
        sectors=[sector(c) for c in sectors],
        topics=[_topic(c) for c in topics],
        **fields,
    )
    db.session.add(s)
    db.session.flush()
    for who in attendees:
        db.session.add(Enrolment(session_id=s.id, person_id=who.id, attended_at=s.starts_at))
    return s


@pytest.fixture
def district(app, make_town):
    """Three enterprises, four people and seven sessions, four of them held in 2026 by NOW."""
    t1, t2 = make_town(), make_town()
    a = enterprise("甲化工有限公司", t1, "hazardous_chemicals")
    b = enterprise("乙钢铁有限公司", t2, "metallurgy")
    c = enterprise("丙酿造有限公司", t1, "confined_space", "hazardous_chemicals")
    a1, a2 = person("甲一", MANAGER, a), person("甲二", MANAGER, a)
    b1, c1 = person("乙一", MANAGER, b), person("丙一", MANAGER, c)
    s1 = _session(
        "危化品专题培训", (2026, 3, 10), 8, ["hazardous_chemicals"], ["G1"], "王教授", [a1, a2, c1]
    )
    db.session.add(Enrolment(session_id=s1.id, person_id=b1.id))  # enrolled, did not come
    _session("冶金专题培训", (2026, 4, 2), 4, ["metallurgy"], ["G1", "G3"], "李工", [b1])
    _session(
        "有限空间作业培训",
        (2026, 5, 5),
        6,
        ["confined_space", "hazardous_chemicals"],
        [],
        "王教授",
        [c1, a1],
        mode=Mode.ONLINE,
    )
    _session("综合培训", (2026, 6, 1), 2, [], ["G3"], "", [a2])
    # Not held in the period by NOW: cancelled, last year, not started yet.
    _session(
        "已取消的危化品培训",
        (2026, 5, 6),
        8,
        ["hazardous_chemicals"],
        [],
        "王教授",
        [a1],
        cancelled_at=beijing(2026, 5, 1),
    )
    _session("去年的培训", (2025, 12, 20), 8, ["hazardous_chemicals"], [], "赵", [a1])
    _session("将来的培训", (2026, 12, 20), 8, ["hazardous_chemicals"], [], "钱", [])
    db.session.commit()
    return SimpleNamespace(t1=t1, t2=t2, a=a, b=b, c=c)


def _figures(row) -> tuple:
    return (row.label, row.sessions, row.person_times, row.person_hours, row.lecturers)


def test_sessions_person_times_and_hours_per_sector_and_topic(district, make_user):
    report = training_report(make_user(UserRole.ADMIN), *YEAR, NOW)
    # s1 8 h × 3, s2 4 h × 1, s3 6 h × 2, s7 2 h × 1.
    assert (report.total.sessions, report.total.person_times, report.total.person_hours) == (
        4,
        7,
        42,
    )
    assert [_figures(r) for r in report.by_sector] == [
        ("危险化学品", 2, 5, 36, ("王教授",)),  # s1 and s3; the lecturer once
        ("冶金", 1, 1, 4, ("李工",)),
        ("有限空间", 1, 2, 12, ("王教授",)),
        ("未分行业", 1, 1, 2, ()),
    ]
    g1, g3 = _topic("G1").path, _topic("G3").path
    assert [_figures(r) for r in report.by_topic] == [
        (g1, 2, 4, 28, ("王教授", "李工")),
        (g3, 2, 2, 6, ("李工",)),
        ("未标注专题", 1, 2, 12, ("王教授",)),
    ]
    assert [(s.title, s.attendees, s.person_hours) for s in report.sessions] == [
        ("危化品专题培训", 3, 24),
        ("冶金专题培训", 1, 4),
        ("有限空间作业培训", 2, 12),
        ("综合培训", 1, 2),
    ]


def test_a_sector_and_a_shorter_period_narrow_the_report(district, make_user):
    admin = make_user(UserRole.ADMIN)
    metallurgy = training_report(admin, *YEAR, NOW, sector_id=sector("metallurgy").id)
    assert (metallurgy.total.sessions, metallurgy.total.person_times) == (1, 1)
    spring = training_report(admin, date(2026, 3, 10), date(2026, 4, 1), NOW)
    assert [s.title for s in spring.sessions] == ["危化品专题培训"]


def test_an_organiser_sees_the_attendance_of_their_scope(district, make_user):
    hazchem = make_user(UserRole.ORGANISER, scope_sectors=[sector("hazardous_chemicals")])
    report = training_report(hazchem, *YEAR, NOW)
    # 乙一 (metallurgy) is outside: the metallurgy session goes, 3 + 2 + 1 attendances stay.
    assert (report.total.sessions, report.total.person_times) == (3, 6)
    assert [(r.label, r.sessions, r.person_times) for r in report.by_sector] == [
        ("危险化学品", 2, 5),
        ("有限空间", 1, 2),
        ("未分行业", 1, 1),
    ]


def test_the_dashboard_gives_the_same_totals_and_the_sectors(district, make_user):
    board = figures.dashboard(make_user(UserRole.ADMIN), 2026, NOW)
    assert (board.training_sessions, board.training_person_times) == (4, 7)
    assert board.training_person_hours == 42
    assert [(r.label, r.sessions, r.person_times) for r in board.training_by_sector][:3] == [
        ("危险化学品", 2, 5),
        ("冶金", 1, 1),
        ("有限空间", 1, 2),
    ]


def test_the_page_and_its_exports(district, client, login_as):
    login_as(UserRole.ADMIN)
    period = {"from": "2026-01-01", "to": "2026-06-30"}
    page = client.get("/reports/training", query_string=period)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "王教授" in html and "有限空间作业培训" in html and "已取消的危化品培训" not in html
    workbook = client.get("/reports/training.xlsx", query_string=period)
    assert workbook.status_code == 200
    sheets = load_workbook(io.BytesIO(workbook.data))
    rows = [list(r) for r in sheets["分行业领域"].iter_rows(values_only=True)]
    assert ["危险化学品", 2, 5, 36, "王教授"] in rows
    assert ["合计", 4, 7, 42, "王教授、李工"] in rows
    details = [list(r) for r in sheets["培训明细"].iter_rows(values_only=True)]
    assert any(r[1] == "有限空间作业培训" and r[6] == "线上" and r[8] == 2 for r in details)
    pdf = client.get("/reports/training.pdf", query_string=period)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_congress_summary_names_each_sectors_training(app):
    summary = Summary(
        date_from=date(2026, 1, 1),
        date_to=date(2026, 12, 31),
        exams_held=0,
        candidates=0,
        first_pass_rate=None,
        final_pass_rate=None,
        not_passed=0,
        certificates_valid=0,
        certificates_expiring=0,
        training_sessions=4,
        training_person_times=7,
        screenings=0,
        screening_person_times=0,
        onsite_hours=0,
        online_hours=0,
        training_by_sector=(("危险化学品", 2, 5), ("冶金", 1, 1)),
    )
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        text = _training_paragraph(summary)
    assert "危险化学品2场（5人次）" in text and "冶金1场（1人次）" in text
