"""Safety-director coverage (issue 17): the enterprises that must have a 安全总监 and have
none — in the reports (its page and exports, the tracker, the dashboard, the congress summary)
and on the enterprise's page and file; the sectors that require one are reference data the
bureau edits. The figures are worked out by hand below."""

from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from reports_data import DIRECTOR, LEADER, NOW, sector

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.people.services import mark_left
from exam.reports.queries import directors, figures
from exam.reports.render.summary import Summary, _exam_paragraph


@pytest.fixture
def district(app, make_town, make_enterprise, make_person):
    """Six enterprises: four must have a safety director, one of which has one."""
    t1, t2 = make_town("东城街道"), make_town("西城街道")

    def at(name, sectors, employees, town, *roles):
        e = make_enterprise(name=name, sectors=sectors, employee_count=employees, town=town)
        for role in roles:
            make_person(role=role, enterprise=e)
        return e

    chem = at("甲化工有限公司", ("hazardous_chemicals",), 60, t1, LEADER)  # must, none
    build = at("乙建设有限公司", ("construction",), 150, t2, LEADER, DIRECTOR)  # must, has
    textile = at("丙纺织有限公司", ("industry_trade",), 320, t2, LEADER)  # must (size), none
    moved = at("丁运输有限公司", ("transport",), 90, t1, DIRECTOR)  # must, the director left
    mark_left(moved.people[0], date(2026, 6, 1))
    at("戊包装有限公司", ("industry_trade",), 299, t1, LEADER)  # need not
    at("己食品有限公司", ("confined_space",), None, t2)  # need not (until flagged)
    db.session.commit()
    return SimpleNamespace(t1=t1, t2=t2, chem=chem, build=build, textile=textile, moved=moved)


def test_coverage_and_the_enterprises_without_one(district, make_user):
    admin = make_user(UserRole.ADMIN)
    cover = directors.coverage(admin)
    assert (cover.required, cover.appointed, cover.missing) == (4, 1, 3)
    assert cover.rate == 25.0
    missing = directors.missing(admin)
    assert [(r.name, r.reasons) for r in missing] == [
        ("丁运输有限公司", "交通运输"),  # 东城街道 first (created first), then by name
        ("甲化工有限公司", "危险化学品"),
        ("丙纺织有限公司", "从业人员300人以上"),
    ]
    in_town = directors.coverage(admin, town_id=district.t2.id)
    assert (in_town.required, in_town.appointed) == (2, 1)


def test_an_organiser_counts_their_scope(district, make_user):
    hazchem = make_user(UserRole.ORGANISER, scope_sectors=[sector("hazardous_chemicals")])
    assert (directors.coverage(hazchem).required, directors.coverage(hazchem).appointed) == (1, 0)
    assert [r.name for r in directors.missing(hazchem)] == ["甲化工有限公司"]


def test_the_headcount_is_a_setting(district, make_user, app):
    app.config["SAFETY_DIRECTOR_EMPLOYEES"] = 500
    cover = directors.coverage(make_user(UserRole.ADMIN))
    assert (cover.required, cover.appointed) == (3, 1)  # 丙纺织 (320) no longer


def test_flagging_a_sector_on_the_reference_page_adds_its_enterprises(district, client, login_as):
    admin = login_as(UserRole.ADMIN)
    confined = sector("confined_space")
    response = client.post(
        f"/reference/sector/{confined.id}",
        data={
            "name": confined.name,
            "name_en": confined.name_en,
            "code": confined.code,
            "requires_safety_director": "y",
            "sort_order": confined.sort_order,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert sector("confined_space").requires_safety_director
    assert directors.coverage(admin).required == 5
    page = client.get("/reference/").get_data(as_text=True)
    assert "须配备安全总监" in page


def test_the_page_the_exports_and_the_tracker(district, client, login_as):
    login_as(UserRole.ADMIN)
    page = client.get("/reports/safety-directors")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "须配备安全总监的企业4家，已配备1家。" in html
    assert "甲化工有限公司" in html and "乙建设有限公司" not in html
    workbook = load_workbook(io.BytesIO(client.get("/reports/safety-directors.xlsx").data))
    rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    assert "须配备安全总监的企业4家，已配备1家，未配备3家" in [r[0] for r in rows]
    assert any(r[0] == "丙纺织有限公司" and r[4] == 320 for r in rows)
    pdf = client.get("/reports/safety-directors.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    tracker = client.get("/reports/tracker").get_data(as_text=True)
    assert "须配备安全总监的企业4家，已配备1家。" in tracker
    assert "3家未配备" in tracker


def test_the_enterprise_page_and_file_say_whether_one_is_missing(district, client, login_as):
    login_as(UserRole.ADMIN)
    chem = client.get(f"/enterprises/{district.chem.id}").get_data(as_text=True)
    assert "须配备（危险化学品），尚未配备" in chem
    build = client.get(f"/enterprises/{district.build.id}").get_data(as_text=True)
    assert "须配备（建筑施工），已配备" in build
    textile = client.get(f"/reports/enterprise/{district.textile.id}").get_data(as_text=True)
    assert "须配备（从业人员300人以上），尚未配备" in textile


def test_the_dashboard_and_the_congress_summary_give_the_share(district, make_user, app):
    board = figures.dashboard(make_user(UserRole.ADMIN), 2026, NOW)
    assert (board.directors.required, board.directors.appointed) == (4, 1)
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
        training_sessions=0,
        training_person_times=0,
        screenings=0,
        screening_person_times=0,
        onsite_hours=0,
        online_hours=0,
        directors_required=board.directors.required,
        directors_appointed=board.directors.appointed,
    )
    with app.test_request_context():
        assert "须配备安全总监的企业4家，已配备1家。" in _exam_paragraph(summary)
