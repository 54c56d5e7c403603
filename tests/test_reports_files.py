"""One file per enterprise and per person (一企一档、一人一档): every record shown, as a page,
a PDF and an .xlsx; who may see which file; a fixed number of SQL statements per file."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from exam.auth.models import User, UserRole
from exam.certificates.models import Certificate
from exam.core.extensions import db
from exam.core.timeutil import display_zone, local_today, utcnow
from exam.exams.models import Attempt, Exam
from exam.screenings.models import Film, Screening, ScreeningAttendance
from exam.training.models import Enrolment, ExternalTraining, TrainingSession

_serial = iter(range(1, 10_000))


def _exam(title: str, makeup_of: Exam | None = None) -> Exam:
    now = utcnow()
    exam = Exam(
        title=title,
        blueprint={"rules": []},
        opens_at=now - timedelta(days=3),
        closes_at=now - timedelta(days=2),
        published_at=now - timedelta(days=4),
        makeup_of=makeup_of,
    )
    db.session.add(exam)
    db.session.flush()
    return exam


def _attempt(
    person, exam: Exam, score: float, passed: bool, number: int = 1, cancelled: str | None = None
) -> Attempt:
    user = db.session.scalar(db.select(User).where(User.person_id == person.id))
    started = utcnow() - timedelta(days=2, hours=number)
    attempt = Attempt(
        exam=exam,
        user_id=user.id,
        number=number,
        seed=1,
        paper=[],
        paper_json="[]",
        started_at=started,
        deadline=started + timedelta(hours=1),
        submitted_at=started + timedelta(minutes=40),
        score=score,
        total_points=100,
        passed=passed,
        cancelled_at=utcnow() if cancelled else None,
        cancel_reason=cancelled,
    )
    db.session.add(attempt)
    return attempt


def _records(person, count: int) -> None:
    """``count`` records of every kind for ``person``: attempts (the first one a makeup of a
    failed exam, one cancelled), sessions, screenings, outside training, a certificate."""
    first = _exam(f"专题考试{next(_serial)}")
    _attempt(person, first, 60, False)
    makeup = _exam(f"补考{next(_serial)}", makeup_of=first)
    _attempt(person, makeup, 90, True)
    for n in range(count - 1):
        _attempt(
            person,
            _exam(f"考试{next(_serial)}"),
            50 + n,
            False,
            cancelled="替考" if n == 0 else None,
        )
    # Everything on days early in the current year, so the year's hours are known exactly.
    start = datetime(local_today().year, 1, 2, 9, tzinfo=display_zone())
    film = db.session.scalar(db.select(Film)) or Film(
        title="生命至上 警钟长鸣", duration_minutes=45
    )
    for n in range(count):
        session = TrainingSession(
            title=f"危化品企业主要负责人培训{n}",
            hours=4,
            organising_unit="区应急管理局危化科",
            starts_at=start + timedelta(days=n),
            ends_at=start + timedelta(days=n, hours=4),
            signin_secret="s" * 40,
        )
        db.session.add(session)
        db.session.add(
            Enrolment(session=session, person_id=person.id, attended_at=start + timedelta(days=n))
        )
        screening = Screening(
            starts_at=start + timedelta(days=n, hours=6),
            venue=f"会议室{n}",
            hours=1.5,
            organising_unit="区安委会办公室",
            films=[film],
        )
        db.session.add(screening)
        db.session.add(ScreeningAttendance(screening=screening, person_id=person.id))
        db.session.add(
            ExternalTraining(
                person_id=person.id,
                title=f"外部培训{n}",
                provider="市安全培训中心",
                held_on=start.date() + timedelta(days=n),
                hours=2,
                evidence=b"x",
                evidence_name="e.pdf",
                evidence_type="application/pdf",
            )
        )
    db.session.add(
        Certificate(
            number=f"AP2026-TEST{next(_serial):05d}",
            person_id=person.id,
            exam_id=makeup.id,
            holder_name=person.name,
            id_number=person.id_number,
            enterprise_name="某企业",
            role=person.role,
            exam_title=makeup.title,
            score=90,
            issued_on=date(2026, 1, 5),
            valid_until=date(2099, 1, 4),
        )
    )
    db.session.commit()


def test_person_file_lists_every_record_and_the_hours(client, login_as, make_person):
    login_as(UserRole.ADMIN)
    person = make_person("李娜")
    _records(person, 2)
    page = client.get(f"/reports/person/{person.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in (
        "危化品企业主要负责人培训0",
        "危化品企业主要负责人培训1",
        "生命至上 警钟长鸣",
        "外部培训1",
        "市安全培训中心",
        "AP2026-TEST",
        person.id_number,
        "替考",
        "会议室1",
    ):
        assert text in html, text
    # This year: 2 sessions x 4 h, 2 screenings x 1.5 h, 2 outside x 2 h = 15 h on site,
    # against the 16 h of annual retraining in a high-risk sector.
    hours = html[html.index('id="section-hours"') : html.index('id="section-attempts"')]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", hours.split("</tr>")[1])
    assert cells[:9] == [str(local_today().year), "8", "3", "4", "15", "0", "15", "16", "1"]


def test_nothing_is_required_before_the_year_a_person_took_the_post(
    app, client, login_as, make_person
):
    login_as(UserRole.ADMIN)
    year = local_today().year
    person = make_person(appointed_on=date(year, 1, 1))
    html = client.get(f"/reports/person/{person.id}").get_data(as_text=True)
    hours = html[html.index('id="section-hours"') : html.index('id="section-attempts"')]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in hours.split("</tr>")[1:4]]
    assert [row[0] for row in rows] == [str(year), str(year - 1), str(year - 2)]
    assert rows[0][7:9] == ["48", "48"]  # initial training, high-risk sector
    assert all("—" in row[7] and "—" in row[8] for row in rows[1:])


def test_the_file_of_someone_who_left_is_kept_for_the_bureau(client, login_as, make_person):
    login_as(UserRole.ADMIN)
    person = make_person("钱进")
    _records(person, 1)
    person.enterprise_id = None
    db.session.commit()
    for suffix in ("", ".pdf", ".xlsx"):
        assert client.get(f"/reports/person/{person.id}{suffix}").status_code == 200
    assert "危化品企业主要负责人培训0" in client.get(f"/reports/person/{person.id}").get_data(
        as_text=True
    )


def test_makeup_and_cancelled_attempts_are_marked(app, client, login_as, make_person):
    login_as(UserRole.ADMIN)
    person = make_person()
    _records(person, 2)
    from exam.reports.queries.records import attempts

    rows = attempts([person.id])
    assert sorted((r.makeup, r.cancelled, r.passed) for r in rows) == [
        (False, False, False),
        (False, True, False),
        (True, False, True),
    ]


def test_exports_say_the_same_as_the_page(client, login_as, make_person, app):
    login_as(UserRole.ADMIN)
    person = make_person("王芳")
    _records(person, 2)
    workbook = client.get(f"/reports/person/{person.id}.xlsx")
    assert workbook.status_code == 200
    assert "attachment" in workbook.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(workbook.data))
    texts = {
        str(c.value)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }
    assert {"危化品企业主要负责人培训1", "外部培训0", app.config["BUREAU_NAME"]} <= {
        t for t in texts
    } | {t.split("  ")[0] for t in texts}
    pdf = client.get(f"/reports/person/{person.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
        ).stdout.decode()
        assert (
            "王芳" in text
            and "危化品企业主要负责人培训1" in text
            and app.config["BUREAU_NAME"] in text
        )


def test_enterprise_file_lists_its_people_and_their_records(
    client, login_as, make_person, make_enterprise
):
    login_as(UserRole.ADMIN)
    enterprise = make_enterprise("青岛某化工有限公司")
    leader = make_person("赵强", enterprise=enterprise)
    manager = make_person("孙丽", role="safety_manager", enterprise=enterprise)
    _records(leader, 1)
    html = client.get(f"/reports/enterprise/{enterprise.id}").get_data(as_text=True)
    assert "赵强" in html and "孙丽" in html and "危化品企业主要负责人培训0" in html
    assert f"/reports/person/{manager.id}" in html
    assert client.get(f"/reports/enterprise/{enterprise.id}.xlsx").status_code == 200
    assert client.get(f"/reports/enterprise/{enterprise.id}.pdf").data.startswith(b"%PDF")


def test_detail_pages_link_to_the_files(client, login_as, make_person):
    login_as(UserRole.ADMIN)
    person = make_person()
    assert f"/reports/person/{person.id}" in client.get(f"/people/{person.id}").get_data(
        as_text=True
    )
    assert f"/reports/enterprise/{person.enterprise_id}" in client.get(
        f"/enterprises/{person.enterprise_id}"
    ).get_data(as_text=True)


@pytest.mark.parametrize("suffix", ["", ".pdf", ".xlsx"])
def test_contacts_see_only_their_own_enterprise(
    client, login_as, make_person, make_enterprise, suffix
):
    own, other = make_enterprise(), make_enterprise()
    mine, theirs = make_person(enterprise=own), make_person(enterprise=other)
    login_as(UserRole.CONTACT, enterprise=own)
    assert client.get(f"/reports/person/{mine.id}{suffix}").status_code == 200
    assert client.get(f"/reports/enterprise/{own.id}{suffix}").status_code == 200
    assert client.get(f"/reports/person/{theirs.id}{suffix}").status_code == 404
    assert client.get(f"/reports/enterprise/{other.id}{suffix}").status_code == 404


def test_organisers_see_only_their_scope(client, login_as, make_person, make_enterprise, make_town):
    town, elsewhere = make_town(), make_town()
    inside = make_person(enterprise=make_enterprise(town=town))
    outside = make_person(enterprise=make_enterprise(town=elsewhere))
    login_as(UserRole.ORGANISER, scope_towns=[town])
    assert client.get(f"/reports/person/{inside.id}").status_code == 200
    assert client.get(f"/reports/person/{outside.id}").status_code == 404
    assert client.get(f"/reports/enterprise/{outside.enterprise_id}.pdf").status_code == 404


def test_candidates_see_no_file(client, login_as, make_person):
    person = make_person()
    login_as(UserRole.CANDIDATE, person=person)
    assert client.get(f"/reports/person/{person.id}").status_code in (403, 404)
    assert client.get(f"/reports/enterprise/{person.enterprise_id}.xlsx").status_code in (403, 404)


def _statements(app, client, url: str) -> int:
    counted = []

    def count(*_args):
        counted.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(counted)


def test_a_file_costs_the_same_statements_with_one_or_five_records(
    app, client, login_as, make_person, make_enterprise
):
    login_as(UserRole.ADMIN)
    few, many = make_enterprise(), make_enterprise()
    one = make_person(enterprise=few)
    five = make_person(enterprise=many)
    make_person(enterprise=many, role="safety_manager")
    _records(one, 1)
    _records(five, 5)
    for kind, (a, b) in {"person": (one.id, five.id), "enterprise": (few.id, many.id)}.items():
        for suffix in ("", ".pdf", ".xlsx"):
            first = _statements(app, client, f"/reports/{kind}/{a}{suffix}")
            second = _statements(app, client, f"/reports/{kind}/{b}{suffix}")
            assert first == second, (kind, suffix, first, second)
            assert first < 40, (kind, suffix, first)


def test_a_contact_opens_the_enterprise_file_and_downloads_it(
    browser, live_server, make_user, make_person, make_enterprise, screenshot
):
    from conftest import PASSWORD

    enterprise = make_enterprise("青岛某化工有限公司")
    leader = make_person("赵强", enterprise=enterprise)
    _records(leader, 2)
    contact = make_user(UserRole.CONTACT, enterprise=enterprise)
    context = browser.new_context(
        locale="zh-CN", accept_downloads=True, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#login", contact.username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server}/enterprises/{enterprise.id}")
    page.click("#enterprise-file-link")
    page.wait_for_selector("#section-sessions")
    assert "危化品企业主要负责人培训1" in page.inner_text("#section-sessions")
    screenshot(page, "enterprise-file-phone")
    for link, magic in (("a[href$='.pdf']", b"%PDF"), ("a[href$='.xlsx']", b"PK")):
        with page.expect_download() as info:
            page.click(link)
        with open(info.value.path(), "rb") as downloaded:
            assert downloaded.read(4).startswith(magic)
    page.click("text=赵强")
    page.wait_for_selector("#section-attempts")
    assert "替考" in page.inner_text("#section-attempts")
    context.close()
