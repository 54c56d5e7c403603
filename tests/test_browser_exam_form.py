"""The exam form adds up the paper as an organiser types its rules (issue 17)."""

from __future__ import annotations

from conftest import PASSWORD
from test_browser import _log_in

from exam.auth.models import UserRole


def _rule(page, row: int, count: int, points: float, topic: str = "") -> None:
    page.fill(f"[name='rules-{row}-count']", str(count))
    page.fill(f"[name='rules-{row}-points']", str(points))
    page.select_option(f"[name='rules-{row}-topic']", topic)


def test_the_running_total_follows_the_rules_the_pass_mark_and_the_coverage_rule(
    browser, live_server, make_user, screenshot
):
    from playwright.sync_api import expect

    organiser = make_user(UserRole.ORGANISER)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    refused = []  # the strict CSP would refuse an inline script or style: none may be needed
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    page.on("pageerror", lambda error: refused.append(str(error)))
    _log_in(page, live_server, organiser.username, PASSWORD)
    page.goto(f"{live_server}/manage/exams/new")
    total = page.locator("#paper-total-text")
    expect(total).to_have_text("合计：0 分，共 0 题")

    # 5 questions × 10 points: 50 points, short of 100 and of the pass mark 80.
    _rule(page, 0, 5, 10, "G1")
    expect(total).to_have_text("合计：50 分，共 5 题")
    expect(page.locator("#paper-not-full")).to_be_visible()
    expect(page.locator("#paper-unreachable")).to_be_visible()
    expect(page.locator("#confirm-total-label")).to_have_text(
        "本试卷满分为 50 分（不是 100 分），我确认此满分"
    )
    page.fill("#pass_mark", "40")
    expect(page.locator("#paper-unreachable")).to_be_hidden()

    # Another 5 × 10 from G2 makes 100: nothing to confirm.
    _rule(page, 1, 5, 10, "G2")
    expect(total).to_have_text("合计：100 分，共 10 题")
    expect(page.locator("#paper-not-full")).to_be_hidden()
    expect(page.locator("#confirm-total-box")).to_be_hidden()

    # A coverage rule of 2 per grip: G1 and G2 are guaranteed, G3 … G8 are not.
    page.fill("#coverage_per_area", "2")
    preview = page.locator("#coverage-preview")
    expect(preview.locator("[data-area='G1']")).to_have_text("抓教育培训 5/2")
    expect(preview.locator("[data-area='G1']")).to_have_class("badge me-1 text-bg-success")
    expect(preview.locator("[data-area='G8']")).to_have_class("badge me-1 text-bg-danger")
    expect(preview.locator(".badge")).to_have_count(8)
    # Only the ticked areas are asked for.
    page.check("#coverage_areas-0")
    page.check("#coverage_areas-1")
    expect(preview.locator(".text-bg-danger")).to_have_count(0)
    screenshot(page, "exam-form-running-total")
    assert refused == []
    context.close()
