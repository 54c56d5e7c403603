"""The dashboard, pass-rate report and 100% tracker as .xlsx (Chinese headers, whatever the
interface language: the workbook goes to the province and the congress) and as PDF."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exam.core.printing import chinese_date
from exam.core.timeutil import format_datetime
from exam.exams.standing import LABELS as STATUS_LABELS
from exam.people.models import PersonRole
from exam.reports.queries.figures import Dashboard, PassRateRow
from exam.reports.queries.rates import Counts
from exam.reports.queries.tracker import TrackerRow
from exam.reports.render.pdf import BarChart, Heading, Paragraph, TableBlock, report_pdf
from question_bank.spreadsheets import PERCENT, Table, write_xlsx

#: The groupings of the pass-rate report, as their column headings read.
GROUP_LABELS = {
    "exam": _l("Exam"),
    "sector": _l("Sector"),
    "role": _l("Post"),
    "enterprise": _l("Enterprise"),
    "town": _l("Town/street"),
    "month": _l("Month"),
}

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows a tracker PDF prints (the .xlsx holds every row).
PDF_ROWS = 2000

GROUP_CHINESE = {
    "exam": "考试",
    "sector": "行业领域",
    "role": "岗位",
    "enterprise": "企业",
    "town": "镇街",
    "month": "月份",
}
#: The base of every rate, as the reports state it (the pass-rate page's note is the same msgid).
BASE_NOTE = _l(
    "Candidates (expected) are person-times: the people each exam expected (in a post and at "
    "an enterprise it names on the day it opened, and registered by its close) and anyone "
    "else who sat it. Sat: those who started the exam or its makeup; no-shows = candidates "
    "− sat. Rates are over those with a score that counts; cancelled scores are shown apart "
    "and counted in no rate. A makeup exam counts in the final rate of the exam it makes up "
    "for. People who changed enterprise or post count where they were when the exam opened."
)
#: The same in the workbooks, which are in Chinese whatever the user's language.
BASE_CHINESE = (
    "口径：应考人次为每场考试开考当日在其所列岗位、所列企业任职且在考试结束前已登记的人员，"
    "以及其他参加了该考试的人员；实考人次为参加了考试或其补考的人次；缺考人次＝应考－实考。"
    "通过率按有效成绩计算，作废成绩单列、不计入通过率；补考计入原考试的最终通过率；"
    "变更企业或岗位的人员按开考时所在企业和岗位统计。"
)
RATE_HEADERS = [
    "应考人次",
    "实考人次",
    "缺考人次",
    "初考参考",
    "初考通过",
    "一次通过率",
    "最终参考",
    "最终通过",
    "最终通过率",
    "作废成绩",
]


def _captions(title: str, lines: list[str], today: date) -> list[str]:
    return [title, f"{current_app.config['BUREAU_NAME']}  {chinese_date(today)}", *lines]


def _fraction(value: float | None) -> float | None:
    return None if value is None else round(value / 100.0, 4)


def _rate(value: float | None) -> float | str:
    """A percentage as a number (a dash when nobody counts), its unit in the next column."""
    return "—" if value is None else value


def _same(value: float | None) -> float | None:
    return value


def _rate_cells(row: Counts, percent=_fraction) -> list:
    return [
        row.candidates,
        row.sat,
        row.no_shows,
        row.sat_first,
        row.passed_first,
        percent(row.first_rate),
        row.sat_final,
        row.passed_final,
        percent(row.final_rate),
        row.cancelled,
    ]


RATE_FORMATS = {6: PERCENT, 9: PERCENT}


def passrates_xlsx(
    rows: list[PassRateRow], total: Counts, group_by: str, filters: list[str], today: date
) -> bytes:
    """The pass-rate report as a workbook: one row per group and the total."""
    title = f"安全生产专题考试通过率（按{GROUP_CHINESE[group_by]}）"
    body = [[r.label, *_rate_cells(r)] for r in rows] + [["合计", *_rate_cells(total)]]
    return write_xlsx(
        [
            Table(
                "通过率",
                [GROUP_CHINESE[group_by], *RATE_HEADERS],
                body,
                [34, 10, 10, 8, 10, 10, 12, 10, 10, 12, 10],
                captions=_captions(title, [*filters, BASE_CHINESE], today),
                number_formats=RATE_FORMATS,
            )
        ]
    )


#: Bars a pass-rate chart draws at most; with more groups it shows the lowest final rates
#: (those to follow up) and says so, and the table below lists every group.
CHART_BARS = 40


def _rate_chart(rows: list[PassRateRow], title: str) -> BarChart:
    # As tall as the bars need, so that a short report stays on one page; more bars than a
    # page holds carry on on the next.
    return BarChart(
        [r.label for r in rows],
        [r.final_rate for r in rows],
        title=title,
        unit="%",
        width=460,
        height=min(240, 50 + 22 * len(rows)),
    )


def _lowest(rows: list[PassRateRow]) -> list[PassRateRow]:
    """The ``CHART_BARS`` groups of lowest final pass rate (nobody sat: last), lowest first."""
    ranked = sorted(rows, key=lambda r: (r.final_rate is None, r.final_rate or 0.0))
    return ranked[:CHART_BARS]


def _chart_blocks(rows: list[PassRateRow]) -> list:
    """The chart of final pass rates (capped, with a note, when there are many groups)."""
    if not rows:
        return []
    if len(rows) <= CHART_BARS:
        return [_rate_chart(rows, _("Final pass rate"))]
    note = _(
        "The chart shows the %(n)s of %(total)s groups with the lowest final pass rate; the "
        "table below lists them all.",
        n=CHART_BARS,
        total=len(rows),
    )
    return [Paragraph(note), _rate_chart(_lowest(rows), _("Lowest final pass rates"))]


def passrates_pdf(
    rows: list[PassRateRow], total: Counts, group_by: str, filters: list[str], title: str
) -> bytes:
    """The pass-rate report as PDF: a chart of final pass rates and the table."""
    headers = [
        str(_l_group(group_by)),
        _("Candidates"),
        _("Sat (person-times)"),
        _("No-shows"),
        _("Sat, first"),
        _("Passed, first"),
        _("First-attempt rate (%)"),
        _("Sat (with makeup)"),
        _("Passed (with makeup)"),
        _("Final rate (%)"),
        _("Cancelled scores"),
    ]
    body = [[r.label, *_rate_cells(r, _same)] for r in rows] + [
        [_("Total"), *_rate_cells(total, _same)]
    ]
    blocks = [Paragraph("；".join(filters))] if filters else []
    blocks += _chart_blocks(rows)
    blocks.append(TableBlock(headers, body, [3, 1, 1, 1, 1, 1, 1.2, 1.2, 1.2, 1.2, 1]))
    blocks.append(Paragraph(str(BASE_NOTE)))
    return report_pdf(title, blocks, landscape_pages=True)


def _l_group(group_by: str) -> str:
    return GROUP_LABELS[group_by]


def dashboard_lines(board: Dashboard) -> list[tuple[str, object, str]]:
    """The dashboard's figures as (Chinese name, value, unit) lines."""
    exams = board.exams
    return [
        ("举办考试", board.exams_held, "场"),
        ("应考人次", exams.candidates, "人次"),
        ("实考人次", exams.sat, "人次"),
        ("缺考人次", exams.no_shows, "人次"),
        ("一次通过率", _rate(exams.first_rate), "%"),
        (
            "最终通过率（含补考，补考未结束，暂计）"
            if board.makeup_open
            else "最终通过率（含补考）",
            _rate(exams.final_rate),
            "%",
        ),
        ("作废成绩", exams.cancelled, "份"),
        ("应考核人员", board.required_people, "人"),
        ("尚未通过", board.not_passed, "人"),
        ("其中：应考未通过", board.not_passed_expected, "人"),
        ("其中：尚未安排考试", board.not_passed - board.not_passed_expected, "人"),
        ("有效证书", board.certificates_valid, "本"),
        ("即将到期证书", board.certificates_expiring, "本"),
        ("须配备安全总监的企业", board.directors.required, "家"),
        ("已配备安全总监的企业", board.directors.appointed, "家"),
        ("培训场次", board.training_sessions, "场"),
        ("培训人次", board.training_person_times, "人次"),
        ("培训学时（人·学时）", round(board.training_person_hours, 1), "人·学时"),
        ("警示教育片放映", board.screenings, "场"),
        ("观看人次", board.screening_person_times, "人次"),
        ("学时达标人数", board.hours_met, "人"),
        ("应达标人数", board.hours_required, "人"),
        ("学时达标率", _rate(board.hours_rate), "%"),
        ("参训学时（培训班含线上、警示教育、外部培训）", board.hours_onsite, "学时"),
        ("未按期完成初训并考核合格", board.initial_overdue, "人"),
        ("线上学习学时", board.hours_online, "学时"),
    ]


def dashboard_xlsx(board: Dashboard, today: date) -> bytes:
    """The dashboard as a workbook: the figures, and pass rates by sector."""
    title = f"{board.year}年安全生产专题考试和培训情况"
    figures = Table(
        "总览",
        ["指标", "数值", "单位"],
        [list(line) for line in dashboard_lines(board)],
        [26, 14, 8],
        captions=_captions(title, [], today),
    )
    sectors = Table(
        "分行业通过率",
        ["行业领域", *RATE_HEADERS],
        [[r.label, *_rate_cells(r)] for r in board.by_sector],
        [20, 10, 10, 8, 10, 10, 12, 10, 10, 12, 10],
        captions=_captions(f"{board.year}年分行业通过率", [BASE_CHINESE], today),
        number_formats=RATE_FORMATS,
    )
    training = Table(
        "分行业培训",
        ["行业领域（专题）", "培训场次", "培训人次", "培训学时（人·学时）", "授课人"],
        [
            [r.label, r.sessions, r.person_times, round(r.person_hours, 1), "、".join(r.lecturers)]
            for r in board.training_by_sector
        ],
        [22, 10, 10, 16, 40],
        captions=_captions(f"{board.year}年分行业领域培训情况", [], today),
    )
    return write_xlsx([figures, sectors, training])


def dashboard_pdf(board: Dashboard, title: str) -> bytes:
    """The dashboard as PDF: the figures, the chart and the table by sector."""
    lines = TableBlock(
        [_("Figure"), _("Value"), _("Unit")],
        [list(line) for line in dashboard_lines(board)],
        [3, 1.2, 0.8],
    )
    blocks = [Heading(_("The year at a glance")), lines]
    if board.by_sector:
        blocks += [
            Heading(_("Pass rates by sector")),
            _rate_chart(list(board.by_sector), _("Final pass rate")),
            TableBlock(
                [
                    _("Sector"),
                    _("Candidates"),
                    _("First-attempt rate (%)"),
                    _("Final rate (%)"),
                    _("People not yet passed"),
                ],
                [
                    [
                        r.label,
                        r.candidates,
                        r.first_rate,
                        r.final_rate,
                        board.not_passed_by_sector.get(r.key, 0),
                    ]
                    for r in board.by_sector
                ],
                [3, 1, 1.2, 1.2, 1],
            ),
        ]
    if board.training_by_sector:
        blocks += [
            Heading(_("Training by sector")),
            TableBlock(
                [_("Sector"), _("Sessions"), _("Person-times"), _("Person-hours"), _("Lecturers")],
                [
                    [r.label, r.sessions, r.person_times, round(r.person_hours, 1)]
                    + ["、".join(r.lecturers)]
                    for r in board.training_by_sector
                ],
                [2.4, 0.9, 0.9, 1.1, 3],
            ),
        ]
    return report_pdf(title, blocks)


def _tracker_cells(row: TrackerRow, status: str) -> list:
    return [
        row.enterprise_name,
        row.town_name,
        row.name,
        PersonRole.CHINESE.get(row.role, row.role),
        status,
        row.upcoming_exam_title or row.last_exam_title,
        row.last_score,
        format_datetime(row.last_at, "%Y-%m-%d") if row.last_at else "",
        row.certificate_until.isoformat() if row.certificate_until else "",
    ]


TRACKER_HEADERS = [
    "企业",
    "镇街",
    "姓名",
    "岗位",
    "状态",
    "考试",
    "最近成绩",
    "最近考试日期",
    "证书有效期至",
]


def tracker_xlsx(rows: list[TrackerRow], filters: list[str], today: date) -> bytes:
    """The tracker as a workbook: every person matching the filters."""
    with force_locale("zh_CN"):  # the workbook is in Chinese whatever the interface language
        labels = {status: str(label) for status, label in STATUS_LABELS.items()}
    body = [_tracker_cells(r, labels[r.status]) for r in rows]
    return write_xlsx(
        [
            Table(
                "100%跟踪",
                TRACKER_HEADERS,
                body,
                [30, 12, 10, 16, 18, 30, 10, 14, 14],
                captions=_captions("安全生产专题考试100%通过跟踪表", filters, today),
            )
        ]
    )


def tracker_pdf(
    rows: list[TrackerRow], total: int, filters: list[str], title: str, labels: dict
) -> bytes:
    """The tracker as PDF (the first ``PDF_ROWS`` rows)."""
    headers = [
        _("Enterprise"),
        _("Town/street"),
        _("Name"),
        _("Post"),
        _("Standing"),
        _("Exam"),
        _("Score"),
        _("Date"),
        _("Certificate until"),
    ]
    body = [_tracker_cells(r, str(labels[r.status])) for r in rows[:PDF_ROWS]]
    for cells, row in zip(body, rows, strict=False):
        cells[3] = PersonRole.label(row.role)
    blocks = [Paragraph("；".join(filters))] if filters else []
    if total > len(body):
        blocks.append(
            Paragraph(
                _(
                    "The first %(n)s of %(total)s people; the .xlsx file lists them all.",
                    n=len(body),
                    total=total,
                )
            )
        )
    blocks.append(TableBlock(headers, body, [3, 1.2, 1, 1.3, 1.6, 2.6, 0.8, 1.2, 1.2]))
    return report_pdf(title, blocks, landscape_pages=True)
