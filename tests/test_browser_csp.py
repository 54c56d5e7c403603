"""In a real browser, under the app's own Content-Security-Policy: the console guard that
every browser test carries (conftest's ``browser``), and the training calendar whose
inline handler and sizes the policy used to block (issue 18)."""

from __future__ import annotations

from datetime import datetime

from conftest import PASSWORD
from playwright.sync_api import expect
from sqlalchemy import select

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import display_zone
from exam.core.web import CONTENT_SECURITY_POLICY
from exam.people.models import Sector
from exam.training import services
from exam.training.models import TrainingSession

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: A page served under the app's policy with one of each thing the policy blocks.
BLOCKED = (
    '<!doctype html><title>x</title><p style="color: red" onclick="go()">x</p>'
    "<script>window.inline = true;</script><style>p { color: blue }</style>"
)


def _log_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#login", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_the_console_guard_sees_csp_violations_uncaught_errors_and_console_errors(
    browser, console_guard, live_server
):
    page = browser.new_context().new_page()
    page.route(
        "http://guard.test/",
        lambda route: route.fulfill(
            body=BLOCKED,
            content_type="text/html",
            headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
        ),
    )
    page.goto("http://guard.test/")
    page.evaluate("setTimeout(() => { throw new Error('thrown by the page') }, 0)")
    page.evaluate("console.error('logged by the page')")
    page.goto(f"{live_server}/no-such-page")  # the browser logs the 404 as an error
    page.wait_for_timeout(200)
    seen = "\n".join(console_guard.unexpected())
    for directive in ("script-src-elem", "script-src-attr", "style-src-elem", "style-src-attr"):
        assert f"CSP violation: {directive} blocked inline (http://guard.test/" in seen
    assert "uncaught error: thrown by the page (http://guard.test/)" in seen
    assert "console error: logged by the page (http://guard.test/)" in seen
    assert "status of 404 (NOT FOUND) (http://127.0.0.1" in seen
    # Expected on purpose here: allowed by narrow patterns, the test passes.
    console_guard.allow(r"^CSP violation: .* blocked inline \(http://guard\.test/")
    console_guard.allow(r"^console error: .* violates the following Content Security Policy")
    console_guard.allow(r"thrown by the page|logged by the page")
    console_guard.allow(r"status of 404 \(NOT FOUND\) \(http://127\.0\.0\.1:\d+/no-such-page\)$")
    assert console_guard.unexpected() == []


def _monday_in_march(hour: int, day: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=display_zone())


def test_the_training_calendar_filters_by_sector_in_seven_equal_columns(
    browser, live_server, make_user, screenshot
):
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}

    def session(title, day, *codes):
        db.session.add(
            TrainingSession(
                title=title,
                hours=4,
                starts_at=_monday_in_march(9, day),
                ends_at=_monday_in_march(12, day),
                signin_secret=services.new_secret(),
                invitation={},
                venue="区应急局三楼会议室",
                sectors=[sectors[code] for code in codes],
            )
        )

    # A Sunday session with a title far longer than a cell; one per sector; one for all.
    session(
        "危险化学品企业主要负责人和安全生产管理人员年度安全生产知识再培训", 8, "hazardous_chemicals"
    )
    session("粉尘涉爆企业专题培训", 10, "dust_explosion")
    session("全区安全生产法专题讲座", 12)
    db.session.commit()
    organiser = make_user(UserRole.ORGANISER)

    page = browser.new_context(locale="zh-CN", viewport=DESKTOP).new_page()
    _log_in(page, live_server, organiser.username)
    page.goto(f"{live_server}/manage/training?date=2026-03-01")
    sessions = page.locator("#session-table tbody tr")
    expect(sessions).to_have_count(3)
    expect(sessions.filter(has_text="全区安全生产法专题讲座")).to_contain_text("全部行业")
    widths = page.eval_on_selector_all(
        "#calendar thead th", "cells => cells.map(c => c.getBoundingClientRect().width)"
    )
    assert len(widths) == 7 and max(widths) - min(widths) < 1, widths
    heights = page.eval_on_selector_all(
        "#calendar tbody td", "cells => cells.map(c => c.getBoundingClientRect().height)"
    )
    assert min(heights) >= 6 * 16 - 1, heights  # 6rem: room for a few sessions a day
    long_title = page.locator("#calendar .calendar-session").first
    assert long_title.evaluate("a => a.scrollWidth > a.clientWidth")  # cut short with "…"
    screenshot(page, "training-calendar-month")

    page.select_option("select[name=sector]", "hazardous_chemicals")
    page.wait_for_url("**sector=hazardous_chemicals**")
    expect(sessions).to_have_count(2)
    expect(page.locator("#session-table")).to_contain_text("危险化学品企业主要负责人")
    expect(page.locator("#session-table")).to_contain_text("全区安全生产法专题讲座")
    expect(page.locator("#session-table")).not_to_contain_text("粉尘涉爆企业专题培训")
    # The filter is kept by the month and week links.
    page.click("text=周")
    page.wait_for_url("**view=week**")
    assert "sector=hazardous_chemicals" in page.url
    week_heights = page.eval_on_selector_all(
        "#calendar tbody td", "cells => cells.map(c => c.getBoundingClientRect().height)"
    )
    assert len(week_heights) == 7 and min(week_heights) >= 12 * 16 - 1, week_heights

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    _log_in(mobile, live_server, organiser.username)
    mobile.goto(f"{live_server}/manage/training?date=2026-03-01")
    # On a phone the calendar scrolls sideways inside its box; the page itself does not.
    assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone_widths = mobile.eval_on_selector_all(
        "#calendar thead th", "cells => cells.map(c => c.getBoundingClientRect().width)"
    )
    assert max(phone_widths) - min(phone_widths) < 1 and min(phone_widths) >= 80, phone_widths
    screenshot(mobile, "training-calendar-phone")
