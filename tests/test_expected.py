"""Who an exam expects (应考) is one rule (``exam.exams.eligibility``): the exam's roster, its
makeup list, the 100% tracker and the pass-rate base all give the same people, and the demo's
reports show its no-shows."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import BASE_CONFIG, IsolatedClient, _reset_postgres, require_tool
from openpyxl import load_workbook
from reports_data import LEADER, NOW, beijing, enterprise, exam, person, sit
from sqlalchemy import func, select

from exam import create_app
from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.demo.data import DEMO_PASSWORD
from exam.demo.district import build_district
from exam.exams.examday import create_makeup
from exam.exams.models import Exam
from exam.people.models import Town
from exam.people.services import mark_left
from exam.reports.kept import candidacy
from exam.reports.kept.models import Candidacy, Roster
from exam.reports.queries import figures, tracker
from exam.reports.render.summary import Summary, summary_pdf

OPENS = beijing(2026, 11, 2)


@pytest.fixture
def case(app, make_user):
    """A closed exam at one enterprise: a pass, a failure, a cancelled score, an absentee, a
    person registered while it was open (absent), one who left before it opened and one
    registered after it closed."""
    town = Town(name="城关街道")
    db.session.add(town)
    at = enterprise("甲化工有限公司", town, "hazardous_chemicals")
    before = datetime(2026, 1, 1, tzinfo=UTC)
    e = exam("2026年11月专题考试", OPENS, hours=48, eligibility={"enterprise_ids": [at.id]})
    people = {
        "passed": person("甲一", LEADER, at, created=before),
        "failed": person("甲二", LEADER, at, created=before),
        "cancelled": person("甲三", LEADER, at, created=before),
        "absent": person("甲四", LEADER, at, created=before),
        "registered mid-window": person("甲五", LEADER, at, created=OPENS + timedelta(days=1)),
        "left": person("甲六", LEADER, at, created=before),
        "registered after": person("甲七", LEADER, at, created=e.closes_at + timedelta(days=1)),
    }
    mark_left(people["left"], date(2026, 10, 20))
    sit(e, people["passed"], True)
    sit(e, people["failed"], False)
    sit(e, people["cancelled"], True, cancelled=True)
    db.session.flush()
    candidacy.rebuild([e.id])
    candidacy.take_rosters(NOW)
    db.session.commit()
    return e, {name: p.id for name, p in people.items()}


def test_roster_makeup_tracker_and_pass_rate_base_agree(case, make_user):
    e, pid = case
    expected = {
        pid[n] for n in ("passed", "failed", "cancelled", "absent", "registered mid-window")
    }
    absent = {pid["absent"], pid["registered mid-window"]}

    # The roster, taken when the exam closed.
    listed = set(db.session.scalars(select(Candidacy.person_id).where(Candidacy.listed == 1)))
    assert listed == expected

    # The makeup list: the failed and the absent of the same five (not the person registered
    # after the close, whom the exam never expected).
    admin = make_user(UserRole.ADMIN)
    makeup = create_makeup(e, admin, NOW + timedelta(days=1), NOW + timedelta(days=2), NOW)
    assert set(makeup.eligibility["person_ids"]) == {pid["failed"]} | absent
    makeup.published_at = NOW
    db.session.commit()

    # The pass-rate base: 应考 5, 实考 3, 缺考 2, one cancelled score.
    (row,) = figures.pass_rates(
        admin, group_by="exam", date_from=date(2026, 1, 1), date_to=date(2026, 12, 31), now=NOW
    )
    assert (row.candidates, row.sat, row.no_shows, row.cancelled) == (5, 3, 2, 1)
    assert (row.passed_first, row.sat_first) == (1, 2)  # the cancelled score counts in no rate

    # The tracker: the same people expected; the absent ones counted absent once; the person
    # who left is nobody's; the one registered after the close was expected by no exam.
    rows = {r.person_id: r for r in tracker.page(admin, now=NOW).rows}
    assert pid["left"] not in rows
    assert {p for p, r in rows.items() if r.expected} == expected
    assert {p for p, r in rows.items() if r.absences} == absent
    assert {p for p, r in rows.items() if r.status == "makeup_pending"} == {pid["failed"]} | absent
    board = figures.dashboard(admin, 2026, NOW)
    # Not passed: the four expected ones, apart from the one never scheduled.
    assert (board.not_passed, board.not_passed_expected) == (5, 4)
    assert board.makeup_open


def test_an_exam_still_closing_is_read_as_its_roster_will_be_taken(case, make_user):
    """Before the scheduler takes a roster, the reports read it by the same rule."""
    e, _pid = case
    db.session.execute(Roster.__table__.delete())
    db.session.execute(Candidacy.__table__.delete().where(Candidacy.started == 0))
    db.session.commit()
    (row,) = figures.pass_rates(
        make_user(UserRole.ADMIN),
        group_by="exam",
        date_from=date(2026, 1, 1),
        date_to=date(2026, 12, 31),
        now=NOW,
    )
    assert (row.candidates, row.no_shows) == (5, 2)


# --- the demo --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(backend, tmp_path_factory):
    """The demo district on this backend, built once for the module, and the admin's client."""
    if backend["name"] == "sqlite":
        path = tmp_path_factory.mktemp("expected") / "demo.sqlite"
        shutil.copy(backend["template"], path)
        url = f"sqlite:///{path}"
    else:
        url = backend["url"]
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = IsolatedClient
    with app.app_context():
        build_district(2026)
        client = app.test_client()
        response = client.post("/login", data={"login": "admin", "password": DEMO_PASSWORD})
        assert response.status_code == 302
        db.session.remove()
    yield app, client
    with app.app_context():
        db.engine.dispose()
    if backend["name"] == "postgresql":
        _reset_postgres(url)


def test_the_demo_reports_show_its_no_shows(demo):
    app, client = demo
    with app.app_context():
        closed = db.session.scalar(
            select(Exam).where(Exam.makeup_of_id.is_(None), Exam.closes_at < datetime.now(UTC))
        )
        assert db.session.get(Roster, closed.id) is not None
        makeup = db.session.scalar(select(Exam).where(Exam.makeup_of_id == closed.id))
        sat = set(
            db.session.scalars(
                select(User.person_id).where(
                    User.id.in_(
                        select(Candidacy.user_id).where(
                            Candidacy.exam_id == closed.id, Candidacy.started == 1
                        )
                    )
                )
            )
        )
        absent_at_makeup_list = set(makeup.eligibility["person_ids"]) - sat
        no_shows = db.session.scalar(
            select(func.count()).where(
                Candidacy.exam_id == closed.id, Candidacy.listed == 1, Candidacy.started == 0
            )
        )
        db.session.remove()
    # The no-shows the roster keeps are exactly the absentees the makeup was made for.
    assert no_shows > 0 and no_shows == len(absent_at_makeup_list)
    page = client.get("/reports/").get_data(as_text=True)
    assert 'id="figure-no-shows"' in page
    assert f">{no_shows}<" in page.split('id="figure-no-shows"', 1)[1][:600]


# --- the reports state their base -------------------------------------------------------------


def _pdf_text(pdf: bytes) -> str:
    tool = require_tool("pdftotext", "poppler-utils")
    out = subprocess.run([tool, "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode())


def _congress_summary(**fields) -> Summary:
    figures_ = {
        "exams_held": 2,
        "candidates": 59,
        "first_pass_rate": 61.5,
        "final_pass_rate": 61.5,
        "not_passed": 106,
        "certificates_valid": 32,
        "certificates_expiring": 0,
        "training_sessions": 4,
        "training_person_times": 80,
        "screenings": 2,
        "screening_person_times": 60,
        "onsite_hours": 120.0,
        "online_hours": 30.0,
        "no_shows": 12,
        "cancelled": 1,
        "not_passed_expected": 33,
        "makeup_open": True,
        **fields,
    }
    return Summary(date(2026, 1, 1), date(2026, 11, 27), **figures_)


def test_the_congress_summary_states_its_base_and_who_is_left(app):
    with app.test_request_context():
        text = _pdf_text(summary_pdf(_congress_summary(), bureau="区应急管理局"))
        closed = _pdf_text(
            summary_pdf(
                _congress_summary(makeup_open=False, not_passed=33, certificates_expiring=3),
                bureau="区应急管理局",
            )
        )
    assert "应考59人次，实考47人次，缺考12人次" in text and "作废成绩1份" in text
    # Only the people some exam expected are "not yet passed"; the never-scheduled apart.
    assert "应考人员中尚有33人未通过" in text and "另有73名" in text
    assert "尚有106人未通过" not in text
    # The makeup is open: the final rate is provisional.
    assert "截至目前" in text and "暂计" in text
    assert "暂计" not in closed and "另有" not in closed
    # No "0 expiring" clause; a clause when there are some.
    assert "其中0份" not in text and "现有效合格证明32份。" in text
    assert "其中3份即将到期" in closed


def test_the_pass_rate_page_and_exports_state_their_base(case, client, login_as):
    login_as(UserRole.ADMIN)
    query = "group_by=exam&from=2026-01-01&to=2026-12-31"
    page = client.get(f"/reports/pass-rates?{query}").get_data(as_text=True)
    for header in ("应考人次", "实考人次", "缺考", "已作废"):
        assert header in page, header
    assert "实考人次为参加了考试或其补考的人次" in page or "实考：" in page
    workbook = load_workbook(
        io.BytesIO(client.get(f"/reports/pass-rates.xlsx?{query}").data), read_only=True
    )
    rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    header = next(r for r in rows if r and r[0] == "考试")
    assert header[1:4] == ["应考人次", "实考人次", "缺考人次"]
    assert any("口径" in str(r[0]) for r in rows if r and r[0])
