"""The bureau's reports in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import io
import subprocess

from conftest import PASSWORD, require_tool
from openpyxl import load_workbook
from reports_data import hand_made

from exam.auth.models import UserRole

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _log_in(page, base, login):
    page.goto(f"{base}/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _download(page, selector) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return info.value.path().read_bytes()


def test_the_bureau_drills_from_a_sector_to_the_people_not_yet_passed_and_downloads(
    browser, live_server, make_user, screenshot
):
    pdftotext = require_tool("pdftotext", "poppler-utils")
    hand_made()
    admin = make_user(UserRole.ADMIN, username="bureau")
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    _log_in(page, live_server, admin.username)

    page.click('nav a[href="/reports/"]')
    page.fill("#year", "2026")
    page.click("#year-form button")
    page.wait_for_url("**/reports/?year=2026")
    assert page.locator("#figure-exams .figure-value").inner_text() == "2"
    assert page.locator("#figure-first-rate .figure-value").inner_text() == "50.0%"
    assert page.locator("#figure-final-rate .figure-value").inner_text() == "62.5%"
    assert page.locator("svg.report-chart").count() == 1
    screenshot(page, "reports-dashboard")

    # From the hazardous-chemicals sector's figure to its people not yet passed.
    row = page.locator("#sector-rates tbody tr", has_text="危险化学品")
    left = int(row.locator("a.sector-not-passed").inner_text().strip(" →"))
    assert left > 0
    row.locator("a.sector-not-passed").click()
    page.wait_for_url("**/reports/tracker?**")
    people = page.locator("#tracker-table tr.tracker-person")
    assert people.count() == left
    statuses = {people.nth(i).get_attribute("data-status") for i in range(people.count())}
    assert statuses.isdisjoint({"passed", "expiring"})
    names = sorted(people.nth(i).locator("td").nth(1).inner_text() for i in range(people.count()))
    assert "张三" in names and "张一" not in names  # failed the makeup; passed
    screenshot(page, "reports-tracker")

    book = load_workbook(io.BytesIO(_download(page, "#tracker-xlsx"))).active
    rows = [r for r in book.iter_rows(values_only=True)]
    header = rows.index(
        ("企业", "镇街", "姓名", "岗位", "状态", "考试", "最近成绩", "最近考试日期", "证书有效期至")
    )
    assert sorted(r[2] for r in rows[header + 1 :]) == names
    assert "危险化学品" in " ".join(
        str(r[0]) for r in rows[:header]
    )  # the filter is named above the table

    page.go_back()
    pdf = _download(page, "#summary-pdf")
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(
        [pdftotext, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "62.5%" in text and "50.0%" in text
    context.close()

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _log_in(page, live_server, admin.username)
    for url, name in (
        ("/reports/?year=2026", "reports-dashboard-phone"),
        (
            "/reports/pass-rates?group_by=enterprise&from=2026-01-01&to=2026-12-31",
            "reports-passrates-phone",
        ),
        ("/reports/tracker?status=not_passed", "reports-tracker-phone"),
    ):
        page.goto(f"{live_server}{url}")
        # Nothing sticks out sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, name
        screenshot(page, name)
    phone.close()
