"""Accessibility: axe-core (shipped inside axe-playwright-python, no CDN) finds no serious or
critical violation on the pages people use most, in Chromium: candidates' pages on a phone,
staff pages on a desktop, the public ones on both.

The demo district is built once for the module and served with CSRF on, as in production."""

from __future__ import annotations

import shutil
import threading

import pytest
from conftest import BASE_CONFIG, _reset_postgres
from sqlalchemy import select

from exam import create_app
from exam.core.extensions import db
from exam.demo.data import DEMO_PASSWORD
from exam.demo.district import build_district

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
#: What the pages must be free of: every serious or critical violation, and these rules of a
#: page's structure whatever axe rates them (a page names itself in one h1; its landmarks are
#: told apart; its language is declared).
BLOCKING = ("serious", "critical")
STRUCTURE = {
    "page-has-heading-one",
    "landmark-unique",
    "landmark-one-main",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "html-has-lang",
    "html-lang-valid",
}


# --- the served demo ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(backend, tmp_path_factory):
    """The demo district on this backend, served over HTTP; yields the served app, its base
    URL and the demo candidate's login."""
    from werkzeug.serving import make_server

    if backend["name"] == "sqlite":
        path = tmp_path_factory.mktemp("axe") / "demo.sqlite"
        shutil.copy(backend["template"], path)
        url = f"sqlite:///{path}"
    else:
        url = backend["url"]
    app = create_app(
        {
            **BASE_CONFIG,
            "WTF_CSRF_ENABLED": True,
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": url,
            "LEARNING_STORAGE": str(tmp_path_factory.mktemp("axe-learning")),
        }
    )
    with app.app_context():
        district = build_district(2026)
        candidate = next(r[1] for r in district.logins.rows if r[1][:1].isdigit())
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"app": app, "base": f"http://127.0.0.1:{server.server_port}", "candidate": candidate}
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()
    if backend["name"] == "postgresql":
        _reset_postgres(url)


def _context(browser, viewport):
    if viewport is PHONE:
        return browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    return browser.new_context(locale="zh-CN", viewport=DESKTOP)


def _log_in(page, base, login):
    page.goto(f"{base}/login")
    page.fill("#login", login)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _blocking_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now, and those of the
    page's structure."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("networkidle")
    results = Axe().run(page).response
    return [v for v in results["violations"] if v["impact"] in BLOCKING or v["id"] in STRUCTURE]


def _describe(where: str, violations: list[dict]) -> str:
    lines = [f"{where}: {len(violations)} axe violation(s)"]
    for v in violations:
        targets = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:8])
        more = f" (+{len(v['nodes']) - 8} more)" if len(v["nodes"]) > 8 else ""
        lines.append(f"  - {v['id']} [{v['impact']}] {v['help']}: {targets}{more}")
        summary = (v["nodes"][0].get("failureSummary") or "").replace("\n", " ")
        if summary:
            lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def _violations_text(page, where: str) -> str:
    """The page's violations described, or "" where there are none."""
    violations = _blocking_violations(page)
    return _describe(f"{where} ({page.url})", violations) if violations else ""


def _visit_all(page, base, pages: list[tuple[str, str]]) -> list[str]:
    """Visit each (name, path); the violations found, described per page, so that a test
    fails once and lists every page's."""
    failures = []
    for name, path in pages:
        page.goto(f"{base}{path}")
        failures.append(_violations_text(page, name))
    return failures


def _assert_none(failures: list[str]) -> None:
    found = [f for f in failures if f]
    assert not found, "\n".join(found)


def _read(app, query):
    """What ``query`` returns, read from the served database in an app context of its own."""
    with app.app_context():
        value = query()
        db.session.remove()
    return value


# --- the public pages --------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_public_pages_have_no_serious_accessibility_violation(browser, site, viewport):
    from exam.certificates.models import Certificate

    number = _read(
        site["app"],
        lambda: db.session.scalar(select(Certificate.number).order_by(Certificate.id).limit(1)),
    )
    context = _context(browser, viewport)
    page = context.new_page()
    failures = _visit_all(
        page,
        site["base"],
        [
            ("login", "/login"),
            ("certificate verification (form)", "/verify"),
            ("certificate verification (a certificate)", f"/verify/{number}"),
        ],
    )
    context.close()
    _assert_none(failures)


# --- the candidate on a phone ------------------------------------------------------------


def test_the_candidates_pages_have_no_serious_accessibility_violation(browser, site):
    from exam.learning.models import Lesson, LessonKind
    from exam.questions.models import Topic

    def lesson_and_topic():
        lesson = db.session.scalar(
            select(Lesson).where(Lesson.kind != LessonKind.PDF).order_by(Lesson.id).limit(1)
        ) or db.session.scalar(select(Lesson).order_by(Lesson.id).limit(1))
        topic = db.session.scalar(select(Topic.id).order_by(Topic.id).limit(1))
        return lesson.id, topic

    lesson_id, topic_id = _read(site["app"], lesson_and_topic)
    context = _context(browser, PHONE)
    page = context.new_page()
    _log_in(page, site["base"], site["candidate"])
    failures = _visit_all(
        page,
        site["base"],
        [
            ("candidate home", "/"),
            ("my exams", "/exams"),
            ("practice", "/practice/"),
            ("practice question", f"/practice/topic/{topic_id}"),
            ("my courses", "/learning/"),
            ("lesson", f"/learning/lessons/{lesson_id}"),
        ],
    )
    # The feedback on a practice answer.
    page.goto(f"{site['base']}/practice/topic/{topic_id}")
    # Practice draws a question at random: a choice to tick, or a blank to fill in.
    choices = page.locator("main form input[type=radio], main form input[type=checkbox]")
    if choices.count():
        choices.first.check()
    else:
        page.locator("main form input[name=blank]").first.fill("48")
    page.click("#submit-answer")
    page.wait_for_selector("#practice-verdict")
    failures.append(_violations_text(page, "practice feedback"))
    # The menu opened on the phone: its links are checked too.
    page.goto(f"{site['base']}/")
    page.click(".navbar-toggler")
    page.wait_for_selector("#nav.show")
    failures.append(_violations_text(page, "candidate home, menu open"))
    context.close()
    _assert_none(failures)


def test_the_exam_page_and_its_result_have_no_serious_accessibility_violation(browser, site):
    from exam.core.timeutil import utcnow
    from exam.exams import services
    from exam.exams.models import Attempt

    context = _context(browser, PHONE)
    page = context.new_page()
    _log_in(page, site["base"], site["candidate"])
    page.goto(f"{site['base']}/exams")
    page.locator(".start-exam").first.click()
    failures = [_violations_text(page, "exam notice (考试须知)")]
    page.check("#notice-read")
    page.click(".confirm-start")
    page.wait_for_selector("#questions section.question")
    section = page.locator("#questions section.question").first
    choices = section.locator(".list-group input")
    if choices.count():
        choices.first.check()
    failures.append(_violations_text(page, "exam page (sitting)"))
    attempt_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])

    def submit():
        attempt = db.session.get(Attempt, attempt_id)
        services.submit(attempt, utcnow())
        db.session.commit()

    _read(site["app"], submit)
    page.goto(f"{site['base']}/attempts/{attempt_id}/result")
    failures.append(_violations_text(page, "exam result"))
    context.close()
    _assert_none(failures)


# --- staff on a desktop ------------------------------------------------------------------


def test_the_staff_pages_have_no_serious_accessibility_violation(browser, site):
    from exam.core.timeutil import utcnow
    from exam.exams.models import Exam

    def open_exam():
        now = utcnow()
        return db.session.scalar(
            select(Exam.id)
            .where(Exam.makeup_of_id.is_(None), Exam.opens_at <= now, Exam.closes_at > now)
            .order_by(Exam.id)
            .limit(1)
        )

    exam_id = _read(site["app"], open_exam)
    context = _context(browser, DESKTOP)
    page = context.new_page()
    _log_in(page, site["base"], "organiser")
    failures = _visit_all(
        page,
        site["base"],
        [
            ("organiser's exam list", "/manage/exams/"),
            ("exam detail", f"/manage/exams/{exam_id}"),
            ("invigilation", f"/manage/exams/{exam_id}/invigilate"),
            ("reports dashboard", "/reports/"),
            ("pass rates", "/reports/pass-rates"),
        ],
    )
    context.close()
    _assert_none(failures)
