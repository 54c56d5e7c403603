"""Organisers' side of online learning: lesson uploads checked by content (and nothing stored
when refused), courses and lessons edited and ordered, access by scope, the exam prerequisite
setting, and the figures on who studies (arithmetic, constant statements, the .xlsx export)."""

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import PASSWORD
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import event, func, select

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import local_today, utcnow
from exam.exams.models import Exam
from exam.learning import stats, storage
from exam.learning.models import Course, Lesson, LessonFile, LessonKind, StudyProgress
from exam.learning.services import LearningError
from exam.people.models import PersonRole, Sector


def _client(app, user):
    client = app.test_client()
    assert (
        client.post("/login", data={"login": user.username, "password": PASSWORD}).status_code
        == 302
    )
    client.post("/language/en")  # the messages checked are the English ones
    return client


def _pdf(pages: int = 2) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for number in range(1, pages + 1):
        pdf.drawString(72, 760, f"Lesson page {number}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _organiser(client, login_as, role=UserRole.ORGANISER):
    """Log the test client in (reading the pages in English, whose messages the tests check)."""
    user = login_as(role)
    client.post("/language/en")
    return user


def _course(title="主要负责人安全生产职责", lessons=(), assignment=None, **fields) -> Course:
    course = Course(title=title, assignment=assignment if assignment is not None else {}, **fields)
    db.session.add(course)
    for position, (name, minutes) in enumerate(lessons):
        db.session.add(
            Lesson(
                course=course,
                position=position,
                title=name,
                kind=LessonKind.TEXT,
                body="<p>正文</p>",
                minutes=minutes,
            )
        )
    db.session.commit()
    return course


def _stored_files(app) -> list[Path]:
    root = Path(app.config["LEARNING_STORAGE"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _upload(client, course, name, data, kind, **fields):
    form = {
        "title": "学习材料",
        "kind": kind,
        "minutes": 10,
        "file": (io.BytesIO(data), name),
        **fields,
    }
    return client.post(
        f"/manage/learning/{course.id}/lessons/new", data=form, content_type="multipart/form-data"
    )


# --- uploads --------------------------------------------------------------------------------------


def test_a_real_pdf_is_stored_under_its_hash_with_every_page_as_a_picture(app, client, login_as):
    _organiser(client, login_as)
    course = _course()
    document = _pdf(3)
    response = _upload(client, course, "讲义.pdf", document, "pdf")
    assert response.status_code == 302, response.get_data(as_text=True)
    lesson = db.session.scalar(select(Lesson))
    assert (lesson.kind, lesson.file.pages, lesson.file.content_type) == (
        "pdf",
        3,
        "application/pdf",
    )
    assert storage.file_path(lesson.file).read_bytes().startswith(b"%PDF")
    # The first page is drawn with the upload (proving it can be drawn), the others when opened.
    assert (
        storage.page_path(lesson.file, 1).is_file()
        and not storage.page_path(lesson.file, 2).exists()
    )
    for page in (1, 2, 3):
        response = client.get(f"/learning/lessons/{lesson.id}/pages/{page}.png")
        assert response.status_code == 200 and response.mimetype == "image/png"
        with Image.open(storage.page_path(lesson.file, page)) as picture:
            assert picture.format == "PNG" and 990 <= picture.width <= 1010
    assert client.get(f"/learning/lessons/{lesson.id}/pages/4.png").status_code == 404
    # The same document uploaded again is kept once.
    assert _upload(client, course, "again.pdf", document, "pdf").status_code == 302
    assert db.session.scalar(select(func.count(LessonFile.id))) == 1
    assert len(_stored_files(app)) == 4


def test_a_video_is_recognised_by_its_first_bytes(app, client, login_as):
    _organiser(client, login_as)
    course = _course()
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08free" + bytes(2000)
    webm = (
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
        + bytes(500)
    )
    assert _upload(client, course, "clip.bin", mp4, "video").status_code == 302
    assert _upload(client, course, "clip", webm, "video").status_code == 302
    assert sorted(f.content_type for f in db.session.scalars(select(LessonFile))) == [
        "video/mp4",
        "video/webm",
    ]


@pytest.mark.parametrize(
    ("name", "data", "kind", "message"),
    [
        ("讲义.pdf", b"This is a Word document really" * 50, "pdf", "not a PDF document"),
        (
            "broken.pdf",
            b"%PDF-1.7\n garbage that no reader can open" * 20,
            "pdf",
            "not a PDF document",
        ),
        ("movie.mp4", b"<html>not a film</html>" * 100, "video", "not an MP4 or WebM video"),
        (
            "clip.html",
            b"<!--ftyp--><html><script>alert(1)</script></html>" + bytes(300),
            "video",
            "not an MP4",
        ),
        (
            "movie.mkv",
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska" + bytes(300),
            "video",
            "not an MP4",
        ),
        ("empty.pdf", b"", "pdf", "The file is empty"),
    ],
)
def test_a_refused_upload_says_why_and_leaves_nothing_behind(
    app, client, login_as, name, data, kind, message
):
    _organiser(client, login_as)
    course = _course()
    response = _upload(client, course, name, data, kind)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(LessonFile.id))) == 0
    assert db.session.scalar(select(func.count(Lesson.id))) == 0
    assert _stored_files(app) == []


def test_a_file_over_the_limit_is_refused_while_it_is_read(app, client, login_as):
    app.config["LESSON_MAX_BYTES"] = 4096
    _organiser(client, login_as)
    course = _course()
    response = _upload(client, course, "big.pdf", _pdf(40), "pdf")
    assert response.status_code == 200
    assert "allowed for a lesson" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(LessonFile.id))) == 0 and _stored_files(app) == []


def test_a_request_past_the_lesson_limit_gets_a_clear_413_page(app, client, login_as):
    _organiser(client, login_as)
    app.config.update(LESSON_MAX_MB=1, WTF_CSRF_ENABLED=True)
    course = _course()
    response = _upload(
        client, course, "huge.mp4", b"\x00\x00\x00\x18ftyp" + bytes(3 * 1024 * 1024), "video"
    )
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "1 MB" in text and "Traceback" not in text
    assert _stored_files(app) == []


def test_lesson_uploads_may_be_larger_than_other_uploads_with_csrf_checked(app, client, login_as):
    """The app-wide limit (10 MB) would refuse this; the lesson form takes up to LESSON_MAX_MB,
    raised before the CSRF check reads the form."""
    import re

    _organiser(client, login_as)
    app.config.update(MAX_CONTENT_LENGTH=1024 * 1024, WTF_CSRF_ENABLED=True)
    course = _course()
    page = client.get(f"/manage/learning/{course.id}/lessons/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    video = (
        b"\x00\x00\x00\x18ftypisom" + bytes(12) + b"\x00\x00\x00\x08free" + bytes(2 * 1024 * 1024)
    )
    assert _upload(client, course, "long.mp4", video, "video", csrf_token=token).status_code == 302
    assert db.session.scalar(select(LessonFile.size)) == len(video)
    # Elsewhere the app-wide limit still holds.
    response = client.post(
        "/manage/learning/new", data={"csrf_token": token, "title": "x" * (2 * 1024 * 1024)}
    )
    assert response.status_code == 413


def test_too_many_pages_are_refused(app):
    with pytest.raises(LearningError) as refused:
        storage.store_upload(
            io.BytesIO(_pdf(storage.MAX_PAGES + 1)), "all.pdf", LessonKind.PDF, None
        )
    assert refused.value.code == "too_many_pages"
    assert _stored_files(app) == []


def test_a_failure_while_moving_files_into_place_leaves_no_file_and_no_row(app, monkeypatch):
    real_replace = storage.os.replace

    def failing(source, target):
        if str(target).endswith(".pdf"):
            raise OSError("disk full")
        return real_replace(source, target)

    monkeypatch.setattr(storage.os, "replace", failing)
    with pytest.raises(OSError):
        storage.store_upload(io.BytesIO(_pdf(2)), "x.pdf", LessonKind.PDF, None)
    assert _stored_files(app) == []
    assert db.session.scalar(select(func.count(LessonFile.id))) == 0


def test_what_a_crash_left_behind_is_cleared_by_a_later_upload(app):
    import os
    import time

    root = storage.storage_root()
    (root / "ab").mkdir()
    old, fresh = root / ".upload-crashed", root / ".upload-running"
    part = root / "ab" / ".abc.p1.png.part"
    for path in (old, fresh, part):
        path.write_bytes(b"partial")
    long_ago = time.time() - storage.STALE_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(part, (long_ago, long_ago))
    storage.store_upload(
        io.BytesIO(b"\x00\x00\x00\x18ftypisom" + bytes(12) + b"\x00\x00\x00\x08free" + bytes(100)),
        "v.mp4",
        LessonKind.VIDEO,
        None,
    )
    assert not old.exists() and not part.exists() and fresh.exists()


# --- access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [UserRole.CANDIDATE, UserRole.CONTACT])
def test_candidates_and_contacts_cannot_reach_the_organiser_pages(app, make_user, role):
    course = _course(lessons=[("第一课", 5)])
    client = _client(app, make_user(role))
    for url in (
        "/manage/learning/",
        f"/manage/learning/{course.id}",
        f"/manage/learning/{course.id}/stats",
        "/manage/learning/stats.xlsx",
        "/manage/learning/new",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/manage/learning/{course.id}/publish").status_code == 403


def test_an_organiser_limited_to_a_sector_manages_only_its_courses(app, make_user):
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}
    theirs = _course(
        "冶金课程", lessons=[("一", 5)], assignment={"sector_ids": [sectors["metal_smelting"].id]}
    )
    other = _course(
        "危化课程",
        lessons=[("一", 5)],
        assignment={"sector_ids": [sectors["hazardous_chemicals"].id]},
    )
    district = _course("全区课程", lessons=[("一", 5)])
    client = _client(app, make_user(UserRole.ORGANISER, scope_sectors=[sectors["metal_smelting"]]))
    listing = client.get("/manage/learning/").get_data(as_text=True)
    assert "冶金课程" in listing and "危化课程" not in listing and "全区课程" not in listing
    assert client.get(f"/manage/learning/{theirs.id}").status_code == 200
    for course in (other, district):
        for url in (
            f"/manage/learning/{course.id}",
            f"/manage/learning/{course.id}/edit",
            f"/manage/learning/{course.id}/stats",
            f"/manage/learning/{course.id}/stats.xlsx",
            f"/manage/learning/{course.id}/lessons/new",
        ):
            assert client.get(url).status_code == 404, url
        lesson = course.lessons[0]
        assert (
            client.post(f"/manage/learning/{course.id}/lessons/{lesson.id}/delete").status_code
            == 404
        )
    # Nor may they assign a course beyond their sector.
    response = client.post("/manage/learning/new", data={"title": "越权课程"})
    assert "within your scope" in response.get_data(as_text=True)
    assert db.session.scalar(select(Course).where(Course.title == "越权课程")) is None


# --- editing ----------------------------------------------------------------------------------------


def test_a_course_is_assigned_to_posts_sectors_and_named_people(app, client, login_as, make_person):
    _organiser(client, login_as, UserRole.ADMIN)
    named = make_person("李娜", role=PersonRole.SAFETY_MANAGER)
    by_id = make_person("王强", role=PersonRole.SAFETY_MANAGER)
    hazchem = db.session.scalar(select(Sector).where(Sector.code == "hazardous_chemicals"))
    response = client.post(
        "/manage/learning/new",
        data={
            "title": "安全生产法要点",
            "description": "主要负责人七项职责",
            "roles": [PersonRole.PRINCIPAL_LEADER],
            "assign_sector_ids": [hazchem.id],
            "sector_ids": [hazchem.id],
            "due_on": "2099-06-30",
            "person_logins": f"李娜\n{by_id.id_number} 王强\n",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    course = db.session.scalar(select(Course))
    assert course.assignment == {
        "roles": [PersonRole.PRINCIPAL_LEADER],
        "sector_ids": [hazchem.id],
        "town_ids": [],
        "enterprise_ids": [],
        "person_ids": [named.id, by_id.id],
    }
    assert course.due_on == date(2099, 6, 30) and [s.code for s in course.sectors] == [
        "hazardous_chemicals"
    ]
    assert course.published_at is None
    # A name nobody has, or that two people share, is refused (the ID number tells them apart).
    make_person("李娜", role=PersonRole.SAFETY_DIRECTOR)
    response = client.post(
        f"/manage/learning/{course.id}/edit",
        data={"title": "安全生产法要点", "person_logins": "李娜\n查无此人"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "李娜" in text and "查无此人" in text
    db.session.refresh(course)
    assert course.assignment["person_ids"] == [named.id, by_id.id]


def test_a_text_lesson_is_sanitised_and_plain_text_becomes_paragraphs(app, client, login_as):
    _organiser(client, login_as)
    course = _course()
    client.post(
        f"/manage/learning/{course.id}/lessons/new",
        data={
            "title": "职责",
            "kind": "text",
            "minutes": 5,
            "body": '<h2>第二十一条</h2><p onclick="steal()">建立健全<script>alert(1)</script>责任制</p>'
            '<a href="javascript:alert(1)">x</a>',
        },
    )
    client.post(
        f"/manage/learning/{course.id}/lessons/new",
        data={
            "title": "纯文本",
            "kind": "text",
            "minutes": 5,
            "body": "第一段\n第二行\n\n第二段 <不是标签",
        },
    )
    first, second = db.session.scalars(select(Lesson).order_by(Lesson.position)).all()
    assert "<h2>第二十一条</h2>" in first.body and "onclick" not in first.body
    assert "script" not in first.body and "javascript" not in first.body
    assert second.body == "<p>第一段<br>第二行</p><p>第二段 &lt;不是标签</p>"
    # Edited again as the text it was typed as; a page with headings as its HTML.
    form = client.get(f"/manage/learning/{course.id}/lessons/{second.id}/edit").get_data(
        as_text=True
    )
    assert "第一段\n第二行\n\n第二段 &lt;不是标签</textarea>" in form
    assert "&lt;h2&gt;第二十一条" in client.get(
        f"/manage/learning/{course.id}/lessons/{first.id}/edit"
    ).get_data(as_text=True)
    assert [first.position, second.position] == [0, 1]


def test_lessons_move_up_and_down_and_removal_renumbers(app, client, login_as):
    _organiser(client, login_as)
    course = _course(lessons=[("一", 5), ("二", 5), ("三", 5)])
    one, two, three = course.lessons
    base = f"/manage/learning/{course.id}/lessons"
    client.post(f"{base}/{three.id}/move", data={"direction": "up"})
    client.post(f"{base}/{one.id}/move", data={"direction": "up"})  # already first: stays
    db.session.refresh(course)
    assert [lesson.title for lesson in course.lessons] == ["一", "三", "二"]
    client.post(f"{base}/{two.id}/move", data={"direction": "down"})  # already last: stays
    client.post(f"{base}/{one.id}/move", data={"direction": "down"})
    db.session.refresh(course)
    assert [lesson.title for lesson in course.lessons] == ["三", "一", "二"]
    client.post(f"{base}/{three.id}/delete")
    db.session.refresh(course)
    assert [(lesson.title, lesson.position) for lesson in course.lessons] == [("一", 0), ("二", 1)]


def test_a_course_is_published_only_with_lessons_and_can_be_withdrawn(app, client, login_as):
    _organiser(client, login_as)
    empty, course = _course("空课程"), _course(lessons=[("一", 5)])
    response = client.post(f"/manage/learning/{empty.id}/publish", follow_redirects=True)
    assert "at least one lesson" in response.get_data(as_text=True)
    client.post(f"/manage/learning/{course.id}/publish")
    db.session.refresh(course)
    db.session.refresh(empty)
    assert empty.published_at is None and course.published_at is not None
    client.post(f"/manage/learning/{course.id}/publish")
    db.session.refresh(course)
    assert course.published_at is None


def test_an_exam_can_ask_for_a_course_first(app, client, login_as, active_bank):
    from test_manage_exams import _exam_form

    _organiser(client, login_as)
    course = _course(lessons=[("一", 5)], published_at=utcnow())
    assert course.title in client.get("/manage/exams/new").get_data(as_text=True)
    assert (
        client.post(
            "/manage/exams/new", data=_exam_form(prerequisite_course_id=course.id)
        ).status_code
        == 302
    )
    exam = db.session.scalar(select(Exam))
    assert exam.prerequisite_course_id == course.id
    client.post(f"/manage/exams/{exam.id}/edit", data=_exam_form(prerequisite_course_id=0))
    db.session.refresh(exam)
    assert exam.prerequisite_course_id is None


# --- figures ------------------------------------------------------------------------------------------


def _studied(person, lesson, seconds, complete=False):
    now = utcnow()
    db.session.add(
        StudyProgress(
            person_id=person.id,
            lesson_id=lesson.id,
            seconds=seconds,
            started_at=now,
            updated_at=now,
            completed_at=now if complete else None,
        )
    )
    db.session.commit()


@pytest.fixture
def district(app, make_enterprise, make_person):
    """Two enterprises; a course for principal leaders (plus one named safety manager), overdue."""
    chemicals = make_enterprise("甲化工有限公司", sectors=("hazardous_chemicals",))
    smelter = make_enterprise("乙冶金有限公司", sectors=("metal_smelting", "industry_trade"))
    done = make_person("完成者", enterprise=chemicals)
    halfway = make_person("学习中", enterprise=chemicals)
    waiting = make_person("未开始", enterprise=smelter)
    named = make_person("点名者", role=PersonRole.SAFETY_MANAGER, enterprise=smelter)
    make_person("无关者", role=PersonRole.SAFETY_MANAGER, enterprise=chemicals)
    course = _course(
        lessons=[("第一课", 10), ("第二课", 10)],
        published_at=utcnow(),
        assignment={"roles": [PersonRole.PRINCIPAL_LEADER], "person_ids": [named.id]},
        due_on=local_today() - timedelta(days=1),
    )
    first, second = course.lessons
    _studied(done, first, 900, complete=True)  # more than the lesson asks: 600 counted
    _studied(done, second, 600, complete=True)
    _studied(halfway, first, 300)
    return {
        "course": course,
        "done": done,
        "halfway": halfway,
        "waiting": waiting,
        "named": named,
        "chemicals": chemicals,
        "smelter": smelter,
    }


def test_the_figures_add_up(app, make_user, district):
    admin = make_user(UserRole.ADMIN)
    report = stats.report([district["course"]], admin, local_today())
    (course,) = report.by_course
    assert (
        course.assigned,
        course.started,
        course.completed,
        course.not_started,
        course.overdue,
    ) == (4, 2, 1, 2, 3)
    assert course.seconds == 1500 and course.hours == 0.4 and course.completion == 0.25
    by_enterprise = {
        f.label: (f.assigned, f.started, f.completed, f.seconds) for f in report.by_enterprise
    }
    assert by_enterprise == {"甲化工有限公司": (2, 2, 1, 1500), "乙冶金有限公司": (2, 0, 0, 0)}
    by_sector = {f.label: (f.assigned, f.completed) for f in report.by_sector}
    assert by_sector == {"危险化学品": (2, 1), "金属冶炼": (2, 0), "工贸其他": (2, 0)}
    by_role = {f.key: (f.assigned, f.started) for f in report.by_role}
    assert by_role == {PersonRole.PRINCIPAL_LEADER: (3, 2), PersonRole.SAFETY_MANAGER: (1, 0)}
    assert sorted(w.name for w in report.waiting) == ["未开始", "点名者"] and all(
        w.overdue for w in report.waiting
    )


def test_an_organiser_counts_only_the_people_in_scope(app, make_user, district):
    smelting = db.session.scalar(select(Sector).where(Sector.code == "metal_smelting"))
    organiser = make_user(UserRole.ORGANISER, scope_sectors=[smelting])
    report = stats.report([district["course"]], organiser, local_today())
    assert report.total.assigned == 2 and report.total.started == 0
    assert [f.label for f in report.by_enterprise] == ["乙冶金有限公司"]


def test_the_figures_take_the_same_number_of_statements_for_three_times_the_people(
    app, make_user, make_enterprise, make_person
):
    admin = make_user(UserRole.ADMIN)
    client = _client(app, admin)
    courses = [
        _course(f"课程{n}", lessons=[("一", 5), ("二", 5)], published_at=utcnow()) for n in range(2)
    ]

    def add_people(n):
        for _ in range(n):
            enterprise = make_enterprise()
            for role in (PersonRole.PRINCIPAL_LEADER, PersonRole.SAFETY_DIRECTOR):
                person = make_person(role=role, enterprise=enterprise)
                _studied(person, courses[0].lessons[0], 200, complete=True)

    def statements(url):
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    add_people(3)
    small = [
        statements(url)
        for url in ("/manage/learning/stats", f"/manage/learning/{courses[0].id}/stats")
    ]
    add_people(6)
    large = [
        statements(url)
        for url in ("/manage/learning/stats", f"/manage/learning/{courses[0].id}/stats")
    ]
    assert small == large
    assert stats.report(courses, admin, local_today()).total.assigned == 2 * 18


def test_the_export_holds_the_figures_and_everybody(app, make_user, district):
    client = _client(app, make_user(UserRole.ADMIN))
    response = client.get(f"/manage/learning/{district['course'].id}/stats.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["按课程", "按企业", "按行业", "按岗位", "人员明细"]
    rows = [
        r
        for r in workbook["按课程"].iter_rows(values_only=True)
        if r and r[0] == district["course"].title
    ]
    assert rows == [(district["course"].title, 4, 2, 2, 1, 0.25, 3, 0.4)]
    people = {
        r[1]: r
        for r in workbook["人员明细"].iter_rows(values_only=True)
        if r and r[1] in ("完成者", "学习中", "未开始", "点名者")
    }
    assert people["完成者"][5:7] == ("2/2", 20) and people["完成者"][8] == "已完成"
    assert people["学习中"][8] == "逾期未完成" and people["未开始"][8] == "逾期未开始"
    assert (
        people["点名者"][3] == "安全生产管理人员"
        and people["未开始"][2] == district["waiting"].id_number
    )


def test_the_figures_page_shows_who_has_not_started(app, make_user, district):
    client = _client(app, make_user(UserRole.ADMIN))
    page = client.get(f"/manage/learning/{district['course'].id}/stats").get_data(as_text=True)
    waiting = page[page.index('id="not-started"') :]
    assert (
        "未开始" in waiting
        and "点名者" in waiting
        and "完成者" not in waiting
        and "学习中" not in waiting
    )
