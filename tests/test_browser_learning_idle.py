"""A text lesson left untouched stops counting study time until someone scrolls or taps."""

from __future__ import annotations

import time

import pytest
from conftest import PASSWORD
from playwright_helpers import seconds_on_the_server
from test_browser import _log_in

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.learning.models import Course, Lesson, LessonKind
from exam.people.models import PersonRole


@pytest.fixture
def live_config():
    return {"STUDY_BEAT_SECONDS": 2, "STUDY_IDLE_SECONDS": 4}


def test_an_untouched_page_stops_counting_until_someone_scrolls(browser, live_server, make_user):
    from playwright.sync_api import expect

    candidate = make_user(UserRole.CANDIDATE)
    course = Course(
        title="安全生产法",
        assignment={"roles": [PersonRole.PRINCIPAL_LEADER]},
        published_at=utcnow(),
    )
    course.lessons.append(
        Lesson(
            title="第一课",
            kind=LessonKind.TEXT,
            minutes=10,
            position=0,
            body="<p>第二十一条 生产经营单位的主要负责人对本单位安全生产工作负有下列职责。</p>"
            * 40,
        )
    )
    db.session.add(course)
    db.session.commit()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    _log_in(page, live_server, candidate.username, PASSWORD)
    page.goto(f"{live_server}/learning/lessons/{course.lessons[0].id}")
    expect(page.locator("#study-state")).to_have_text("学习中：正在计时。")
    # Nobody touches the page: after the idle time it stops counting.
    expect(page.locator("#study-state")).to_contain_text("页面已有一段时间没有操作", timeout=15_000)
    time.sleep(1)
    idle_at = seconds_on_the_server()
    time.sleep(4)
    assert seconds_on_the_server() == idle_at
    # A scroll: it counts again.
    page.mouse.wheel(0, 600)
    expect(page.locator("#study-state")).to_have_text("学习中：正在计时。")
    time.sleep(5)
    assert seconds_on_the_server() > idle_at
    context.close()
