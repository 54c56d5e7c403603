"""Training by sector and topic, and enterprises without the safety director they must have,
as .xlsx (Chinese headers, whatever the interface language) and as PDF."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _

from exam.core.printing import chinese_date
from exam.core.timeutil import format_datetime
from exam.reports.queries.directors import Coverage, MissingDirector
from exam.reports.queries.training import SessionRow, TrainingReport, TrainingRow
from exam.reports.render.pdf import BarChart, Heading, Paragraph, TableBlock, report_pdf
from question_bank.spreadsheets import Table, write_xlsx

MODE_CHINESE = {"onsite": "现场", "online": "线上"}
TRAINING_HEADERS = ["培训场次", "培训人次", "培训学时（人·学时）", "授课人"]


def _captions(title: str, lines: list[str], today: date) -> list[str]:
    return [title, f"{current_app.config['BUREAU_NAME']}  {chinese_date(today)}", *lines]


def training_title(report: TrainingReport) -> str:
    """The report's title in Chinese (workbooks and file names)."""
    return f"{chinese_date(report.date_from)}至{chinese_date(report.date_to)}分行业领域、分专题培训情况"


def training_cells(row: TrainingRow) -> list:
    return [row.sessions, row.person_times, round(row.person_hours, 1), "、".join(row.lecturers)]


def _session_cells(s: SessionRow, mode: str) -> list:
    return [
        format_datetime(s.starts_at, "%Y-%m-%d"),
        s.title,
        s.sectors,
        s.topics,
        s.lecturer,
        s.organising_unit,
        mode,
        s.hours,
        s.attendees,
        round(s.person_hours, 1),
    ]


SESSION_HEADERS = [
    "日期",
    "培训名称",
    "行业领域",
    "专题",
    "授课人",
    "组织单位",
    "方式",
    "学时",
    "参训人次",
    "人·学时",
]


def training_tables(report: TrainingReport, lines: list[str], today: date) -> list[Table]:
    """The sheets of the training workbook (the dashboard's workbook takes the first)."""
    title = training_title(report)
    total = ["合计", *training_cells(report.total)]
    return [
        Table(
            "分行业领域",
            ["行业领域（专题）", *TRAINING_HEADERS],
            [[r.label, *training_cells(r)] for r in report.by_sector] + [total],
            [22, 10, 10, 16, 40],
            captions=_captions(title, lines, today),
        ),
        Table(
            "分专题",
            ["专题（八抓20项）", *TRAINING_HEADERS],
            [[r.label, *training_cells(r)] for r in report.by_topic] + [total],
            [36, 10, 10, 16, 40],
            captions=_captions(title, lines, today),
        ),
        Table(
            "培训明细",
            SESSION_HEADERS,
            [_session_cells(s, MODE_CHINESE.get(s.mode, s.mode)) for s in report.sessions],
            [12, 30, 18, 30, 16, 20, 8, 8, 10, 10],
            captions=_captions(title, lines, today),
        ),
    ]


def training_xlsx(report: TrainingReport, lines: list[str], today: date) -> bytes:
    return write_xlsx(training_tables(report, lines, today))


def _row_block(rows, heading: str, total: TrainingRow) -> list:
    return [
        Heading(heading),
        TableBlock(
            [heading, _("Sessions"), _("Person-times"), _("Person-hours"), _("Lecturers")],
            [[r.label, *training_cells(r)] for r in (*rows, total)],
            [2.6, 0.9, 0.9, 1.1, 3.2],
        ),
    ]


def training_pdf(report: TrainingReport, lines: list[str], title: str, modes: dict) -> bytes:
    """The report as PDF: a chart of person-times by sector, the two tables, the sessions."""
    blocks: list = [Paragraph("；".join(lines))] if lines else []
    if report.by_sector:
        blocks.append(
            BarChart(
                [r.label for r in report.by_sector],
                [float(r.person_times) for r in report.by_sector],
                title=_("Person-times by sector"),
                unit=_("person-times"),
                height=min(240, 50 + 22 * len(report.by_sector)),
            )
        )
    blocks += _row_block(report.by_sector, _("Sector"), report.total)
    blocks += _row_block(report.by_topic, _("Topic"), report.total)
    blocks += [
        Heading(_("Sessions held")),
        TableBlock(
            [
                _("Date"),
                _("Title"),
                _("Sectors"),
                _("Topics"),
                _("Lecturer"),
                _("Organiser"),
                _("Mode"),
                _("Hours"),
                _("Attendees"),
                _("Person-hours"),
            ],
            [_session_cells(s, str(modes.get(s.mode, s.mode))) for s in report.sessions],
            [1.1, 2.4, 1.4, 2.2, 1.2, 1.4, 0.7, 0.7, 0.8, 0.9],
        ),
    ]
    return report_pdf(title, blocks, landscape_pages=True)


# --- safety directors --------------------------------------------------------------------------


def coverage_sentence(cover: Coverage) -> str:
    """The bureau's sentence: 须配备安全总监的企业N家，已配备M家."""
    return _(
        "%(required)s enterprises must have a safety director; %(appointed)s have one.",
        required=cover.required,
        appointed=cover.appointed,
    )


def _missing_cells(row: MissingDirector) -> list:
    return [
        row.name,
        row.credit_code,
        row.town,
        row.sectors,
        row.employees if row.employees is not None else "",
        row.reasons,
        row.contact,
    ]


MISSING_HEADERS = ["企业", "统一社会信用代码", "镇街", "行业领域", "从业人数", "配备依据", "联系人"]


def directors_xlsx(
    cover: Coverage, rows: list[MissingDirector], lines: list[str], today: date
) -> bytes:
    sentence = f"须配备安全总监的企业{cover.required}家，已配备{cover.appointed}家，未配备{cover.missing}家"
    return write_xlsx(
        [
            Table(
                "未配备安全总监",
                MISSING_HEADERS,
                [_missing_cells(r) for r in rows],
                [30, 20, 12, 20, 10, 30, 20],
                captions=_captions("应配备未配备安全总监的企业", [sentence, *lines], today),
            )
        ]
    )


def directors_pdf(
    cover: Coverage, rows: list[MissingDirector], lines: list[str], title: str
) -> bytes:
    blocks = [Paragraph("；".join([coverage_sentence(cover), *lines]))]
    blocks.append(
        TableBlock(
            [
                _("Enterprise"),
                _("Credit code"),
                _("Town/street"),
                _("Sectors"),
                _("Employees"),
                _("Why required"),
                _("Contact"),
            ],
            [_missing_cells(r) for r in rows],
            [3, 2, 1.2, 1.8, 0.9, 2.4, 1.8],
        )
    )
    return report_pdf(title, blocks, landscape_pages=True)
