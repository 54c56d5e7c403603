"""Words that say what they mean: one word for one status on the page, in the .xlsx and in the
PDF, 撤销 (not the administrative penalty 吊销) for a certificate, and 补考已结束 (not 补考已过,
"passed the makeup") for a failure whose makeup is over."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import require_tool
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import load_workbook

from exam.auth.models import UserRole
from exam.exams.standing import LABELS, STATUSES
from exam.reports.queries.tracker import TrackerRow
from exam.reports.render import exports

PO = Path(__file__).parent.parent / "exam" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def _row(status: str, index: int) -> TrackerRow:
    return TrackerRow(
        person_id=index,
        name=f"人员{index}",
        role="principal_leader",
        enterprise_id=1,
        enterprise_name="某企业",
        town_name="某镇",
        status=status,
        upcoming_exam_id=None,
        upcoming_exam_title="",
        last_exam_title="专题考试",
        last_score=None,
        last_at=None,
        certificate_until=None,
    )


def test_every_tracker_status_has_one_label_and_the_words_are_right(app):
    assert set(LABELS) == set(STATUSES)
    with app.test_request_context(), force_locale("zh_CN"):
        words = {status: str(label) for status, label in LABELS.items()}
    assert words["passed"] == "合格"
    assert words["failed"] == "未通过（补考已结束）"
    assert len(set(words.values())) == len(words)  # no two statuses read alike


def test_a_status_reads_the_same_on_the_page_in_the_xlsx_and_in_the_pdf(app, client, login_as):
    rows = [_row(status, i) for i, status in enumerate(STATUSES, start=1)]
    with app.test_request_context(), force_locale("zh_CN"):
        words = {status: str(label) for status, label in LABELS.items()}
        workbook = exports.tracker_xlsx(rows, [], date(2026, 12, 1))
        pdf = exports.tracker_pdf(rows, len(rows), [], "100%跟踪", LABELS)
    sheet = load_workbook(io.BytesIO(workbook)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in cells if r and r[0] == "企业")
    column = header.index("状态")
    in_xlsx = {r[2]: r[column] for r in cells if r and str(r[2] or "").startswith("人员")}
    assert in_xlsx == {row.name: words[row.status] for row in rows}
    tool = require_tool("pdftotext", "poppler-utils")
    text = subprocess.run(
        [tool, "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    for word in words.values():
        assert word in text
    assert "已通过" not in text and "补考已过" not in text
    login_as(UserRole.ADMIN)
    page = client.get("/reports/tracker").get_data(as_text=True)
    for word in words.values():
        assert word in page  # the tabs name every status


@pytest.mark.parametrize(
    "msgid",
    [
        "Revoke",
        "Revoked",
        "Revoked on %(d)s.",
        "Revoked: the verification page now says so.",
        "Only a current certificate can be revoked or re-issued.",
    ],
)
def test_a_certificate_is_revoked_with_the_word_for_a_certificate(app, msgid):
    with app.test_request_context(), force_locale("zh_CN"):
        word = _(msgid, d="2026-12-01")
    assert "撤销" in word and "吊销" not in word


def test_no_translation_uses_the_penalty_word_or_reads_passed_the_makeup():
    text = PO.read_text(encoding="utf-8")
    assert "吊销" not in text
    assert "补考已过" not in text
