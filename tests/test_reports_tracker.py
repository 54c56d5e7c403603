"""The 100% tracker: where each person stands, filters and pages in SQL, the enrol action, who
may see it; and the report pages and their .xlsx and PDF exports over HTTP."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from conftest import PASSWORD
from openpyxl import load_workbook
from reports_data import NOW, certificate, exam, hand_made

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams.eligibility import is_eligible
from exam.people.models import PersonRole, Sector
from exam.reports.queries import tracker
from exam.training.models import Enrolment, EnrolmentStatus, TrainingSession


@pytest.fixture
def data(app):
    return hand_made()


@pytest.fixture
def admin(make_user):
    return make_user(UserRole.ADMIN)


def _statuses(user, **filters) -> dict[str, str]:
    return {row.name: row.status for row in tracker.page(user, now=NOW, **filters).rows}


def test_where_everybody_stands(data, admin):
    assert _statuses(admin) == {
        "张一": "passed",  # certificate valid until 2029
        "张二": "expiring",  # certificate ends 15 December 2026
        "张三": "back_to_training",  # failed the makeup too
        "李四": "passed",  # passed in September, certificate not issued yet
        "李五": "not_scheduled",  # the only score was cancelled
        "王六": "makeup_pending",  # failed E2, whose makeup is not held yet
        "王七": "scheduled",  # named for the December exam
        "王八": "not_scheduled",  # never came
        "李九": "failed",  # failed E1 and stayed away from its makeup
    }
    counts = tracker.status_counts(admin, now=NOW)
    assert counts == {
        "not_scheduled": 2,
        "scheduled": 1,
        "failed": 1,
        "makeup_pending": 1,
        "back_to_training": 1,
        "expiring": 1,
        "passed": 2,
    }


def test_a_pass_whose_certificate_was_revoked_is_no_pass(data, admin):
    revoked = certificate(
        data.people.p4, "AP2026-CCCCC-CCCCC", date(2026, 9, 16), date(2029, 9, 15)
    )
    revoked.revoked_at, revoked.revoke_reason = NOW - timedelta(days=5), "冒名顶替"
    db.session.commit()
    assert _statuses(admin)["李四"] == "not_scheduled"


def test_rows_come_by_enterprise_and_post_and_pages_are_cut_in_sql(data, admin):
    rows = tracker.page(admin, now=NOW).rows
    enterprises = [r.enterprise_id for r in rows]
    assert len(set(enterprises)) == 3 and enterprises == sorted(
        enterprises, key=enterprises.index
    )  # contiguous
    for enterprise_id in set(enterprises):
        posts = [PersonRole.ALL.index(r.role) for r in rows if r.enterprise_id == enterprise_id]
        assert posts == sorted(posts)
    pages = [tracker.page(admin, now=NOW, per_page=4, page=n) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [9, 9, 9] and pages[0].pages == 3
    assert [r.person_id for p in pages for r in p.rows] == [r.person_id for r in rows]
    assert (
        tracker.page(admin, now=NOW, per_page=4, page=99).page == 3
    )  # past the end: the last page
    assert list(tracker.page(admin, now=NOW, per_page=1, page=1).iter_pages()) == [
        1,
        2,
        3,
        None,
        8,
        9,
    ]


def test_filters(data, admin):
    _a, b, _c = data.enterprises
    metal = db.session.scalar(db.select(Sector.id).where(Sector.code == "metal_smelting"))
    left = tracker.page(admin, now=NOW, status=tracker.NOT_PASSED)
    assert left.total == 6 and {r.status for r in left.rows}.isdisjoint(tracker.PASSED)
    assert set(_statuses(admin, sector_id=metal)) == {"李四", "李五", "李九"}
    assert set(_statuses(admin, enterprise_id=b.id, status=tracker.NOT_PASSED)) == {"李五", "李九"}
    assert set(_statuses(admin, role=PersonRole.PRINCIPAL_LEADER)) == {
        "张一",
        "李四",
        "王六",
        "王八",
    }
    assert set(_statuses(admin, q="王")) == {"王六", "王七", "王八"}
    assert set(_statuses(admin, q="100%_")) == set()  # typed text, not a pattern
    assert _statuses(admin, status="failed") == {"李九": "failed"}


def test_organisers_see_their_scope_and_candidates_and_contacts_none(data, make_user, client):
    _t1, t2 = data.towns
    organiser = make_user(UserRole.ORGANISER, scope_towns=[t2])
    assert set(_statuses(organiser)) == {"李四", "李五", "李九"}
    for role in (UserRole.CANDIDATE, UserRole.CONTACT):
        user = make_user(role)
        client.post("/login", data={"login": user.username, "password": PASSWORD})
        for url in (
            "/reports/",
            "/reports/tracker",
            "/reports/pass-rates",
            "/reports/tracker.xlsx",
            "/reports/summary.pdf",
            "/reports/dashboard.xlsx",
            "/reports/pass-rates.pdf",
        ):
            assert client.get(url).status_code == 403, url
        assert client.post("/reports/tracker/enrol", data={"who": "all"}).status_code == 403
        client.post("/logout")


def _client_for(app, user):
    client = app.test_client()
    assert (
        client.post("/login", data={"login": user.username, "password": PASSWORD}).status_code
        == 302
    )
    return client


def test_enrol_the_chosen_into_the_next_exam(app, data, make_user):
    p = data.people
    organiser = make_user(UserRole.ORGANISER)
    upcoming = exam(
        "2027年1月考试", utcnow() + timedelta(days=20), eligibility={"person_ids": [p.p7.id]}
    )
    db.session.commit()
    client = _client_for(app, organiser)
    response = client.post(
        "/reports/tracker/enrol",
        data={
            "person": [str(p.p8.id), str(p.p5.id), "x"],
            "who": "chosen",
            "target": f"exam:{upcoming.id}",
            "status": "not_passed",
        },
    )
    assert response.status_code == 302 and "status=not_passed" in response.headers["Location"]
    db.session.refresh(upcoming)
    assert upcoming.eligibility["person_ids"] == [p.p7.id, p.p5.id, p.p8.id]
    user = db.session.scalar(db.select(User).where(User.person_id == p.p8.id))
    assert is_eligible(upcoming, user)
    # Enrolling again names nobody twice.
    client.post(
        "/reports/tracker/enrol", data={"person": [str(p.p8.id)], "target": f"exam:{upcoming.id}"}
    )
    db.session.refresh(upcoming)
    assert upcoming.eligibility["person_ids"].count(p.p8.id) == 1


def test_an_exam_for_everybody_is_left_open_to_everybody(admin, data):
    everybody = exam("全员考试", utcnow() + timedelta(days=20))
    assert tracker.enrol_in_exam(everybody, [data.people.p8.id], admin) == 0
    assert everybody.eligibility in (None, {})


def test_enrol_everybody_left_under_the_filters_into_a_session(app, data, admin, make_user):
    _a, b, _c = data.enterprises
    session = TrainingSession(
        title="回炉培训班",
        starts_at=utcnow() + timedelta(days=3),
        ends_at=utcnow() + timedelta(days=3, hours=8),
        hours=8,
        signin_secret="s",
        capacity=1,
        invitation={"person_ids": [data.people.p1.id]},
    )
    db.session.add(session)
    db.session.commit()
    client = _client_for(app, admin)
    response = client.post(
        "/reports/tracker/enrol",
        data={"who": "all", "enterprise": str(b.id), "target": f"session:{session.id}"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    enrolments = {
        e.person.name: e.status
        for e in db.session.scalars(db.select(Enrolment).where(Enrolment.session_id == session.id))
    }
    # Those left at 乙 today (not 李四, who passed): one seat, then the waiting list.
    assert sorted(enrolments) == ["李九", "李五"]
    assert sorted(enrolments.values()) == [EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING]
    assert "1" in response.get_data(as_text=True)


def test_enrolling_nobody_or_nowhere_says_so(app, data, admin):
    client = _client_for(app, admin)
    page = client.post(
        "/reports/tracker/enrol", data={"who": "chosen", "target": "exam:1"}, follow_redirects=True
    )
    assert "选择" in page.get_data(as_text=True) or "Choose" in page.get_data(as_text=True)
    page = client.post(
        "/reports/tracker/enrol",
        data={"person": [str(data.people.p8.id)], "target": ""},
        follow_redirects=True,
    )
    assert page.status_code == 200
    closed = data.exams[0]
    assert (
        client.post(
            "/reports/tracker/enrol",
            data={"person": [str(data.people.p8.id)], "target": f"exam:{closed.id}"},
        ).status_code
        == 404
    )


# --- pages and exports -----------------------------------------------------------------------


def test_pages_render_for_the_bureau(app, data, admin):
    client = _client_for(app, admin)
    board = client.get("/reports/?year=2026")
    html = board.get_data(as_text=True)
    assert board.status_code == 200 and 'id="sector-rates"' in html and "<svg" in html
    for group_by in ("exam", "sector", "role", "enterprise", "town", "month"):
        page = client.get(f"/reports/pass-rates?group_by={group_by}&from=2026-01-01&to=2026-12-31")
        assert page.status_code == 200 and 'id="passrate-total"' in page.get_data(as_text=True)
    bad = client.get("/reports/pass-rates?from=2026-13-45&group_by=nonsense&exam=abc&sector=-1")
    assert bad.status_code == 200 and "2026-13-45" in bad.get_data(as_text=True)
    page = client.get("/reports/tracker?status=not_passed&page=999999999999&sector=zz")
    assert (
        page.status_code == 200 and page.get_data(as_text=True).count('class="tracker-person"') == 6
    )


def test_exports_are_real_workbooks_and_pdfs(app, data, admin):
    client = _client_for(app, admin)
    response = client.get(
        "/reports/pass-rates.xlsx?group_by=enterprise&from=2026-01-01&to=2026-12-31"
    )
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = values.index(
        [
            "企业",
            "应考人次",
            "实考人次",
            "缺考人次",
            "初考参考",
            "初考通过",
            "一次通过率",
            "最终参考",
            "最终通过",
            "最终通过率",
            "作废成绩",
        ]
    )
    body = {row[0]: tuple(row[1:]) for row in values[header + 1 :]}
    assert body["甲化工有限公司"] == (5, 5, 0, 5, 3, 0.6, 5, 4, 0.8, 0)
    assert body["合计"] == (12, 9, 3, 8, 4, 0.5, 8, 5, 0.625, 1)
    by_sector = load_workbook(
        io.BytesIO(
            client.get(
                "/reports/pass-rates.xlsx?group_by=sector&from=2026-01-01&to=2026-12-31"
            ).data
        )
    ).active
    rows = [list(row) for row in by_sector.iter_rows(values_only=True)]
    assert rows[-1][:2] == [
        "合计",
        12,
    ]  # everyone once, though 乙 is in two sectors (9 + 4 + 3 in the rows)
    tracker_book = load_workbook(
        io.BytesIO(client.get("/reports/tracker.xlsx?status=not_passed").data)
    ).active
    names = [
        row[2] for row in tracker_book.iter_rows(values_only=True) if row[4] and row[4] != "状态"
    ]
    assert sorted(names) == sorted(["王六", "王七", "王八", "张三", "李五", "李九"])
    board = load_workbook(io.BytesIO(client.get("/reports/dashboard.xlsx?year=2026").data))
    assert board.sheetnames == ["总览", "分行业通过率", "分行业培训"]
    for url in (
        "/reports/pass-rates.pdf?group_by=sector",
        "/reports/tracker.pdf",
        "/reports/dashboard.pdf?year=2026",
        "/reports/summary.pdf?year=2026",
    ):
        response = client.get(url)
        assert response.status_code == 200 and response.data.startswith(b"%PDF"), url


def test_who_failed_the_makeup_is_not_put_into_another_exam(app, data, admin):
    p = data.people
    upcoming = exam(
        "2027年1月考试", utcnow() + timedelta(days=20), eligibility={"person_ids": [p.p7.id]}
    )
    db.session.commit()
    client = _client_for(app, admin)
    response = client.post(
        "/reports/tracker/enrol",
        data={
            "person": [str(p.p3.id), str(p.p8.id)],
            "who": "chosen",
            "target": f"exam:{upcoming.id}",
        },
        follow_redirects=True,
    )
    assert "1 人补考仍未通过，须先回炉培训" in response.get_data(as_text=True)
    db.session.refresh(upcoming)
    assert upcoming.eligibility["person_ids"] == [p.p7.id, p.p8.id]


def test_a_makeup_exam_is_no_target_for_enrolment(app, data, admin):
    main = exam("2027年1月考试", utcnow() + timedelta(days=20))
    makeup = exam("2027年1月考试（补考）", utcnow() + timedelta(days=40), makeup_of_id=main.id)
    db.session.commit()
    client = _client_for(app, admin)
    assert f'value="exam:{makeup.id}"' not in client.get("/reports/tracker").get_data(as_text=True)
    response = client.post(
        "/reports/tracker/enrol",
        data={"person": [str(data.people.p8.id)], "target": f"exam:{makeup.id}"},
    )
    assert response.status_code == 404


def test_the_summary_for_the_congress_is_the_bureaus(app, data, make_user):
    organiser = make_user(UserRole.ORGANISER)
    assert _client_for(app, organiser).get("/reports/summary.pdf").status_code == 403
    assert (
        _client_for(app, make_user(UserRole.ADMIN)).get("/reports/summary.pdf").status_code == 200
    )


def test_an_exam_open_to_everybody_does_not_hide_who_goes_back_to_training(data, admin):
    exam("全员考试", utcnow() + timedelta(days=20))
    db.session.commit()
    statuses = _statuses(admin)
    assert statuses["张三"] == "back_to_training" and statuses["王八"] == "scheduled"
