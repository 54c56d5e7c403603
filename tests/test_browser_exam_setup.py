"""An organiser publishes an exam through its set-up summary (issue 18): the running total
counts questions per kind and area and shows the pass mark against the total; the
confirmation page names an unreachable pass mark and offers no way to publish it; once
fixed, it shows how many people may sit the exam, and confirming publishes it."""

from __future__ import annotations

from conftest import PASSWORD
from test_browser import PHONE, _log_in

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import to_form_time, utcnow
from exam.exams.models import Exam
from exam.people.models import PersonRole

DESKTOP = {"width": 1280, "height": 800}


def _watch(page) -> list[str]:
    """Console errors, CSP refusals and page errors: none may happen (but the missing
    favicon, which another part of issue 18 adds)."""
    seen: list[str] = []

    def console(message) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            seen.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def test_an_unreachable_pass_mark_is_shown_before_publishing_and_cannot_be_published(
    browser, live_server, make_user, make_person, active_bank, screenshot
):
    from playwright.sync_api import expect

    for _ in range(3):
        make_person(role=PersonRole.SAFETY_MANAGER)
    make_person(role=PersonRole.PRINCIPAL_LEADER)  # not a post the exam is for
    organiser = make_user(UserRole.ORGANISER)
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    errors = _watch(page)
    _log_in(page, live_server, organiser.username, PASSWORD)

    # 5 single-choice questions × 10 points from G1: 50 points against a pass mark of 80.
    page.goto(f"{live_server}/manage/exams/new")
    page.fill("#title", "安全管理人员专题考试")
    now = utcnow()
    page.fill("#opens_at", to_form_time(now).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#closes_at", "2099-01-01T09:00")
    page.fill("[name='rules-0-count']", "5")
    page.fill("[name='rules-0-points']", "10")
    page.select_option("[name='rules-0-topic']", "G1")
    page.fill("[name='rules-1-count']", "2")
    page.select_option("[name='rules-1-kind']", "truefalse")
    page.fill("[name='rules-1-points']", "0")
    expect(page.locator("#paper-by-kind [data-kind='single']")).to_have_text("单选题 5")
    expect(page.locator("#paper-by-kind .badge")).to_have_count(1)  # the 0-point row is empty
    expect(page.locator("#paper-by-area")).to_have_text("按专题领域：抓教育培训 5")
    expect(page.locator("#paper-pass-line")).to_have_text("合格 80 / 满分 50，160%")
    expect(page.locator("#paper-pass-line")).to_have_class("small text-danger")
    page.check("#roles-2")  # 安全生产管理人员
    page.check("#confirm_total")  # 50 points is meant: only the pass mark is wrong
    page.click("main button.btn-primary[type=submit]")
    exam = db.session.scalar(db.select(Exam))
    assert exam is not None and exam.blueprint["confirmed_total"] == 50

    # Publishing shows the summary: the pass mark nobody can reach, and no way to confirm.
    page.click("#publish-link")
    expect(page).to_have_url(f"{live_server}/manage/exams/{exam.id}/publish")
    refused = page.locator("#publish-refused")
    expect(refused).to_contain_text("合格分 80 高于试卷满分 50 分：无人能够合格")
    expect(page.locator("#pass-mark-line")).to_have_text("合格 80 / 满分 50，160%")
    expect(page.locator("#setup-warnings")).to_contain_text(
        "试卷满分为 50 分，不是 100 分（已确认）"
    )
    expect(page.locator("#publish-confirm")).to_have_count(0)
    expect(page.locator("#eligible-count")).to_have_text("目前可参加：3 人")
    screenshot(page, "exam-setup-refused-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "exam-setup-refused-phone")
    page.set_viewport_size(DESKTOP)
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).published_at is None

    # A reachable pass mark: the summary shows who and how many, and confirming publishes.
    page.goto(f"{live_server}/manage/exams/{exam.id}/edit")
    page.fill("#pass_mark", "40")
    expect(page.locator("#paper-pass-line")).to_have_text("合格 40 / 满分 50，80%")
    page.click("main button.btn-primary[type=submit]")
    page.click("#publish-link")
    expect(page.locator("#publish-refused")).to_have_count(0)
    expect(page.locator("#eligible-count")).to_have_text("目前可参加：3 人")
    expect(page.locator("#setup-who")).to_contain_text("安全生产管理人员")
    expect(page.locator("#paper-by-kind")).to_contain_text("单选题 5")
    screenshot(page, "exam-setup-confirm-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "exam-setup-confirm-phone")
    page.click("#publish-confirm")
    expect(page).to_have_url(f"{live_server}/manage/exams/{exam.id}")
    expect(page.locator("main")).to_contain_text("已发布，考试进行中。")
    expect(page.locator("#setup-summary")).to_contain_text("目前可参加：3 人")
    screenshot(page, "exam-setup-detail-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "exam-setup-detail-desktop")
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).published_at is not None
    assert errors == []
    context.close()
