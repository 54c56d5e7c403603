"""A candidate studies a lesson on a phone in Chromium: time counts only while it is in front."""

from __future__ import annotations

import time

import pytest
from conftest import PASSWORD
from playwright_helpers import seconds_on_the_server
from sqlalchemy import select
from test_browser import _log_in

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.learning.models import Course, Lesson, LessonKind, StudyProgress
from exam.people.models import PersonRole

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "zh-CN",
}


@pytest.fixture
def live_config():
    # Reports every 2 s; a one-minute lesson is complete after 20 % (12 s); a minute of study
    # makes an hour, so that the ledger shows the hours at once.
    return {"STUDY_BEAT_SECONDS": 2, "LESSON_COMPLETE_PERCENT": 20, "ONLINE_MINUTES_PER_HOUR": 1}


def _set_visibility(page, state: str) -> None:
    page.evaluate(
        """state => {
        Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
        Object.defineProperty(document, "hidden", {value: state === "hidden", configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }""",
        state,
    )


def test_a_candidate_studies_a_lesson_on_a_phone_and_sees_the_hours(
    browser, live_server, make_user, screenshot
):
    from playwright.sync_api import expect

    candidate = make_user(UserRole.CANDIDATE)
    assert candidate.person.role == PersonRole.PRINCIPAL_LEADER
    course = Course(
        title="主要负责人安全生产职责",
        assignment={"roles": [PersonRole.PRINCIPAL_LEADER]},
        published_at=utcnow(),
    )
    course.lessons.append(
        Lesson(
            title="第一课 第一责任人",
            kind=LessonKind.TEXT,
            minutes=1,
            position=0,
            body="<p>《安全生产法》第五条：生产经营单位的主要负责人是本单位安全生产第一责任人，"
            "对本单位的安全生产工作全面负责。</p>" * 6,
        )
    )
    db.session.add(course)
    db.session.commit()

    context = browser.new_context(**PHONE)
    page = context.new_page()
    _log_in(page, live_server, candidate.username, PASSWORD)
    page.goto(f"{live_server}/learning/")
    page.click(".continue-link")
    expect(page.locator("h1")).to_have_text("第一课 第一责任人")
    expect(page.locator("#study-state")).to_have_text("学习中：正在计时。")
    expect(page.locator("#study-minutes")).not_to_have_text("0.0")
    screenshot(page, "learning-lesson-phone")

    # Switch away. Headless Chromium never hides a tab behind another, so the page is told what
    # the browser tells it when the person switches apps or tabs: it is hidden now.
    _set_visibility(page, "hidden")
    time.sleep(1)  # the report that the page went hidden has arrived
    stopped_at = seconds_on_the_server()
    assert 0 < stopped_at < 12
    time.sleep(5)
    assert seconds_on_the_server() == stopped_at
    expect(page.locator("#study-state")).to_have_text("已暂停：只有本页面在前台时才计学习时间。")

    # Back in front: the time counts again until the lesson is complete.
    _set_visibility(page, "visible")
    expect(page.locator("#lesson-complete")).to_be_visible(timeout=30_000)
    assert seconds_on_the_server() >= 12
    screenshot(page, "learning-lesson-complete-phone")

    page.goto(f"{live_server}/training")
    online = float(page.locator("#ledger .ledger-online").first.text_content())
    assert online >= 0.2  # 12 s or more of study at one minute per hour
    page.goto(f"{live_server}/learning/")
    expect(page.locator(f"#course-{course.id}")).to_contain_text("已学完")
    screenshot(page, "learning-mine-phone")
    context.close()


def _course(*titles: str) -> Course:
    course = Course(
        title="主要负责人安全生产职责",
        assignment={"roles": [PersonRole.PRINCIPAL_LEADER]},
        published_at=utcnow(),
    )
    for position, title in enumerate(titles):
        course.lessons.append(
            Lesson(
                title=title,
                kind=LessonKind.TEXT,
                minutes=1,
                position=position,
                body="<p>《安全生产法》第五条：主要负责人对本单位的安全生产工作全面负责。</p>" * 6,
            )
        )
    db.session.add(course)
    db.session.commit()
    return course


def test_a_completed_lesson_says_so_instead_of_timing(browser, live_server, make_user):
    from playwright.sync_api import expect

    candidate = make_user(UserRole.CANDIDATE)
    lesson = _course("第一课 第一责任人").lessons[0]
    db.session.add(
        StudyProgress(
            person_id=candidate.person_id,
            lesson_id=lesson.id,
            seconds=60,
            completed_at=utcnow(),
        )
    )
    db.session.commit()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _log_in(page, live_server, candidate.username, PASSWORD)
    page.goto(f"{live_server}/learning/lessons/{lesson.id}")
    expect(page.locator("#lesson-complete")).to_be_visible()
    time.sleep(2.5)  # a report or two later, it still says so
    expect(page.locator("#study-state")).to_have_text("已完成：本课学习时间已全部计入。")
    assert "正在计时" not in page.locator("#study-status").inner_text()
    context.close()


def test_time_on_the_course_list_is_not_credited_to_the_next_lesson(
    browser, live_server, make_user
):
    from playwright.sync_api import expect

    candidate = make_user(UserRole.CANDIDATE)
    course = _course("第一课", "第二课")
    first, second = course.lessons
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _log_in(page, live_server, candidate.username, PASSWORD)
    page.goto(f"{live_server}/learning/lessons/{first.id}")
    expect(page.locator("#study-minutes")).not_to_have_text("0.0", timeout=10_000)
    # The lesson's page goes without a last report ("stopped"), as when a phone drops the tab or
    # the network: the server last heard that the person was studying.
    page.evaluate("() => { window.fetch = () => new Promise(() => {}); }")
    page.goto(f"{live_server}/learning/courses/{course.id}")
    time.sleep(3)  # reading the course list: not study time of any lesson
    page.goto(f"{live_server}/learning/lessons/{second.id}")
    expect(page.locator("#study-state")).to_have_text("学习中：正在计时。")
    time.sleep(1)  # the page's first report has arrived; the next is a second away
    db.session.expire_all()
    credited = db.session.scalar(
        select(StudyProgress.seconds).where(StudyProgress.lesson_id == second.id)
    )
    assert credited is not None and credited < 2.5  # at most one beat of its own time
    context.close()
