"""Topic weaknesses and item analysis: the pages and their .xlsx and PDF exports.

Routes on the reports blueprint. Admins and organisers only (``MANAGERS``): an organiser's
topic weaknesses cover the attempts sat at enterprises in their scope; their item analysis
covers the exams they manage (every candidate of such an exam counts: the figures describe
questions, not people).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exam.auth.access import MANAGERS, roles_required
from exam.core.i18n import select_locale
from exam.core.timeutil import local_today
from exam.core.uploads import download
from exam.core.web import parse_id
from exam.reports.queries import items, weakness
from question_bank.itemstats import MIN_CANDIDATES, TOO_EASY, TOO_HARD, Flag
from question_bank.kinds import KINDS
from question_bank.spreadsheets import DECIMAL, Table, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_NAMES = {code: kind.chinese for code, kind in KINDS.items()}


def flag_labels() -> dict[str, str]:
    return {
        Flag.TOO_EASY: _("Too easy"),
        Flag.TOO_HARD: _("Too hard"),
        Flag.NEGATIVE: _("Negative discrimination: check the key"),
    }


def kind_names() -> dict[str, str]:
    """Question kinds in the interface's language."""
    chinese = select_locale() == "zh_CN"
    return {code: kind.chinese if chinese else kind.english for code, kind in KINDS.items()}


def item_notes() -> tuple[str, ...]:
    """What the counts, the ties and the two correlations of item analysis mean (the PDF's
    explanation; the page's legend says the same)."""
    return (
        _(
            "Papers with it: counted attempts whose paper had the question. Answered: those "
            "of them with a response to it."
        ),
        _(
            "Candidates tied on the total score at a 27 percent edge share the group's places "
            "left (each counts with weight places left / candidates tied): discrimination "
            "depends on the scores only, never on who started first."
        ),
        _(
            "Item-rest correlation (corrected item-total): the correlation between the "
            "question and the score on the rest of the paper (the total minus the question). "
            "It is the one that flags negative discrimination when the groups are too small."
        ),
        _(
            "Point-biserial (textbook): the correlation between the question and the total "
            "score, the question included. On a short paper or few candidates the question's "
            "own points inflate it, and its sign can differ from the item-rest correlation's."
        ),
    )


LEVEL_CHINESE = {"area": "抓手", "measure": "措施", "point": "要点"}
FLAG_CHINESE = {
    Flag.TOO_EASY: "过易",
    Flag.TOO_HARD: "过难",
    Flag.NEGATIVE: "负区分度（请核对答案）",
}


# --- topic weaknesses ------------------------------------------------------------------------


@dataclass
class Filters:
    """The weakness report's filters as read from the query string, with what was wrong."""

    by: str = "sector"
    date_from: date | None = None
    date_to: date | None = None
    exam_id: int | None = None
    errors: list[str] = field(default_factory=list)

    def args(self) -> dict:
        """The filters as query arguments (for the export links)."""
        values = {"by": self.by, "from": self.date_from, "to": self.date_to, "exam": self.exam_id}
        return {
            k: v.isoformat() if isinstance(v, date) else v
            for k, v in values.items()
            if v is not None
        }


def _date_arg(name: str, filters: Filters, label: str) -> date | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or not 1900 <= value.year <= 2999:  # far dates overflow the period's bounds
        filters.errors.append(_("%(field)s is not a date (YYYY-MM-DD).", field=label))
        return None
    return value


def read_filters() -> Filters:
    """Filters from the query string; a bad one is dropped and explained, never a crash."""
    filters = Filters()
    by = request.args.get("by", "sector")
    if by in weakness.BY:
        filters.by = by
    else:
        filters.errors.append(_("Choose columns by sector or by role."))
    filters.date_from = _date_arg("from", filters, _("From"))
    filters.date_to = _date_arg("to", filters, _("To"))
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        filters.errors.append(_("The period ends before it starts."))
        filters.date_to = None
    exam = request.args.get("exam", "")
    if exam:
        filters.exam_id = parse_id(exam)
        if filters.exam_id is None:
            filters.errors.append(_("Choose an exam from the list."))
    return filters


def _heat(filters: Filters) -> weakness.Heat:
    return weakness.heat(
        current_user,
        by=filters.by,
        date_from=filters.date_from,
        date_to=filters.date_to,
        exam_id=filters.exam_id,
        locale=select_locale(),
    )


def _row_label(row: weakness.TopicRow) -> str:
    return (
        "›" * row.depth + (" " if row.depth else "") + row.name
    )  # measures and points marked by depth


def _heat_width(heat: weakness.Heat) -> int:
    return max(480, 200 + 64 * len(heat.columns))  # wider when there are many columns


def _heat_args(heat: weakness.Heat, title: str) -> tuple[tuple, dict]:
    rows, columns = [_row_label(r) for r in heat.rows], [c.label for c in heat.columns]
    return (rows, columns, heat.matrix()), {"title": title, "width": _heat_width(heat)}


def heat_drawing(heat: weakness.Heat, title: str = ""):
    """The heat map as a reportlab drawing."""
    from exam.reports.render.charts import heat_map

    args, kwargs = _heat_args(heat, title)
    return heat_map(*args, **kwargs)


def heat_block(heat: weakness.Heat, title: str = ""):
    """The heat map as a report block: its rows carry on over as many pages as they need."""
    from exam.reports.render.pdf import HeatMap

    args, kwargs = _heat_args(heat, title)
    return HeatMap(*args, **kwargs)


def training_link(row: weakness.TopicRow, column_key: str | None = None) -> str:
    """The training-session form with this topic's area (the form lists areas) preselected."""
    args = {"topic": row.area_code}
    if column_key and column_key.isdigit():
        args["sector"] = column_key
    return url_for("training.edit", **args)


@roles_required(*MANAGERS)
def weakness_page():
    from exam.reports.render.charts import to_svg

    filters = read_filters()
    heat = _heat(filters)
    svg = to_svg(heat_drawing(heat), title=_("Average score by topic")) if heat.rows else ""
    return render_template(
        "reports/weakness.html",
        heat=heat,
        filters=filters,
        svg=svg,
        exams=weakness.exams_sat(current_user),
        weak_below=weakness.WEAK_BELOW,
        training_link=training_link,
    )


def _heat_table(heat: weakness.Heat) -> tuple[list[str], list[list]]:
    """Headers and rows (percentages 0-100, one decimal) of the heat map as a table."""
    headers = ["知识点", "层级", "总体得分率(%)", "人次"] + [f"{c.label}(%)" for c in heat.columns]
    rows = []
    for row in heat.rows:
        total = heat.totals[row.id]
        rows.append(
            [
                _row_label(row),
                LEVEL_CHINESE.get(row.level, row.level),
                _pct(total.percent),
                total.attempts,
            ]
            + [
                _pct(c.percent) if (c := heat.cell(row.id, col.key)) else None
                for col in heat.columns
            ]
        )
    return headers, rows


def _captions(title: str, *lines: str) -> list[str]:
    """The lines above a spreadsheet's header: the report, the bureau, what it covers, the date."""
    bureau = current_app.config.get("BUREAU_NAME", "")
    return [
        title,
        *(line for line in (bureau, *lines) if line),
        f"生成日期：{local_today().isoformat()}",
    ]


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _period_chinese(filters: Filters) -> str:
    start, end = filters.date_from, filters.date_to
    return f"{start.isoformat() if start else '不限'} 至 {end.isoformat() if end else '不限'}"


def _period(filters: Filters) -> str:
    start, end = filters.date_from, filters.date_to
    if start and end:
        return f"{start.isoformat()} – {end.isoformat()}"
    if start:
        return _("from %(date)s", date=start.isoformat())
    if end:
        return _("until %(date)s", date=end.isoformat())
    return _("all attempts")


@roles_required(*MANAGERS)
def weakness_xlsx():
    filters = read_filters()
    heat = _heat(filters)
    headers, rows = _heat_table(heat)
    by = "按行业领域" if filters.by == "sector" else "按岗位"
    table = Table(
        "知识点得分率",
        headers,
        rows,
        [30, 8, 14, 8],
        captions=_captions(f"知识点薄弱环节分析（{by}）", f"统计期间：{_period_chinese(filters)}"),
        number_formats={i: DECIMAL for i in [2, *range(4, len(headers))]},
    )
    return download(
        write_xlsx([table]), f"安培-知识点薄弱环节-{local_today().isoformat()}.xlsx", XLSX
    )


@roles_required(*MANAGERS)
def weakness_pdf():
    from exam.reports.render.pdf import Heading, Paragraph, TableBlock, report_pdf

    filters = read_filters()
    heat = _heat(filters)
    headers, rows = _heat_table(heat)
    by = _("by sector") if filters.by == "sector" else _("by role")
    blocks = [
        Paragraph(
            _(
                "Average percent of the points available on each topic in graded exam "
                "attempts, %(by)s. Cancelled scores are left out; a point counts in its "
                "measure and area too.",
                by=by,
            )
        )
    ]
    if heat.rows:
        weak = heat.weak()
        blocks += [heat_block(heat, _("Average score by topic")), Heading(_("Weak topics"))]
        blocks.append(
            TableBlock(
                ["知识点", "总体得分率(%)", "人次"],
                [
                    [r.name, _pct(heat.totals[r.id].percent), heat.totals[r.id].attempts]
                    for r in weak
                ],
            )
            if weak
            else Paragraph(_("No topic is below the pass mark."))
        )
        blocks += [
            Heading(_("Figures")),
            TableBlock(headers, rows, widths=[3, 1, 1.3, 1] + [1.2] * len(heat.columns)),
        ]
    else:
        blocks.append(Paragraph(_("No graded attempts match these filters.")))
    data = report_pdf(
        _("Topic weaknesses"),
        blocks,
        subtitle=_subtitle(filters),
        landscape_pages=len(heat.columns) > 6,
    )
    return download(data, f"安培-知识点薄弱环节-{local_today().isoformat()}.pdf", "application/pdf")


def _subtitle(filters: Filters) -> str:
    parts = [_("Period: %(period)s", period=_period(filters))]
    if filters.exam_id:
        from exam.core.extensions import db
        from exam.exams.models import Exam

        exam = db.session.get(Exam, filters.exam_id)
        if exam is not None:
            parts.append(exam.title)
    return " · ".join(parts)


# --- item analysis ------------------------------------------------------------------------------


@roles_required(*MANAGERS)
def items_index():
    return render_template("reports/items_index.html", exams=items.exams_analysable(current_user))


@roles_required(*MANAGERS)
def exam_items_page(exam_id: int):
    exam = items.exam_or_404(current_user, exam_id)
    stats = items.exam_items(current_user, exam_id)
    flagged_only = request.args.get("show") == "flagged"
    shown = [s for s in stats if s.flags] if flagged_only else stats
    return render_template(
        "reports/items.html",
        exam=exam,
        stats=stats,
        shown=shown,
        flagged_only=flagged_only,
        attempts=items.counted_attempts(exam_id),
        flags=flag_labels(),
        too_easy=TOO_EASY,
        too_hard=TOO_HARD,
        kinds=kind_names(),
        min_candidates=MIN_CANDIDATES,
        notes=item_notes(),
    )


#: What the item analysis columns mean, in the workbook's and the PDF's Chinese.
ITEM_NOTES_CHINESE = (
    "含此题试卷数：已交卷且成绩未作废、试卷中含有此题的考试记录数；作答人次：其中对此题作答（答案不为空）的人次。",
    "难度系数：考生在此题上得分占此题分值的平均比例（1 表示全部答对）。",
    "区分度：按总分排序，前 27% 考生的难度系数减去后 27% 考生的难度系数；"
    "总分恰在 27% 分界处并列的考生按比例分摊剩余名额（每人权重 = 剩余名额 ÷ 并列人数），"
    "结果只取决于分数，与交卷或开考先后无关。",
    "题-余分相关（校正的题总相关）：此题得分率与试卷其余各题得分（总分减去此题得分）的皮尔逊相关系数，"
    "不含此题本身，用于判断负区分度。",
    "点二列相关（教科书定义）：此题得分率与总分（含此题）的皮尔逊相关系数；"
    "题量少或人数少时受此题自身分值影响偏高，与题-余分相关的符号可能不同。",
)


def _item_rows(stats: list[items.ItemStats]) -> tuple[list[str], list[list]]:
    headers = [
        "题号",
        "题型",
        "题干",
        "含此题试卷数",
        "作答人次",
        "难度系数",
        "区分度",
        "题-余分相关",
        "点二列相关",
        "各选项选择人数",
        "提示",
    ]
    rows = []
    for s in stats:
        options = "；".join(f"{o.label}{'(答案)' if o.is_key else ''}:{o.count}" for o in s.options)
        rows.append(
            [
                s.question_id,
                KIND_NAMES.get(s.kind, s.kind),
                s.stem[:200],
                s.candidates,
                s.answered,
                _round(s.facility),
                _round(s.discrimination),
                _round(s.item_rest),
                _round(s.point_biserial),
                options,
                "、".join(FLAG_CHINESE[f] for f in s.flags),
            ]
        )
    return headers, rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@roles_required(*MANAGERS)
def exam_items_xlsx(exam_id: int):
    exam = items.exam_or_404(current_user, exam_id)
    headers, rows = _item_rows(items.exam_items(current_user, exam_id))
    table = Table(
        "试题分析",
        headers,
        rows,
        [8, 8, 50, 12, 10, 10, 10, 12, 12, 36, 24],
        captions=_captions(
            f"{exam.title} 试题分析", "仅统计已交卷且成绩未作废的考试记录", *ITEM_NOTES_CHINESE
        ),
        number_formats={5: "0.00", 6: "0.00", 7: "0.00", 8: "0.00"},
    )
    return download(
        write_xlsx([table]), f"安培-{exam.title}-试题分析-{local_today().isoformat()}.xlsx", XLSX
    )


@roles_required(*MANAGERS)
def exam_items_pdf(exam_id: int):
    from exam.reports.render.pdf import Heading, Paragraph, TableBlock, report_pdf

    exam = items.exam_or_404(current_user, exam_id)
    stats = items.exam_items(current_user, exam_id)
    flagged = [s for s in stats if s.flags]
    blocks = [
        Paragraph(
            _(
                "Facility: the mean share of a question's points earned. Discrimination: "
                "facility among the top 27 percent of candidates minus the bottom 27 percent. "
                "Only submitted attempts whose score was not cancelled count."
            )
        ),
        *(Paragraph(str(note)) for note in item_notes()),
    ]
    blocks.append(Heading(_("Questions to review")))
    blocks.append(
        TableBlock(
            ["题号", "题干", "难度系数", "区分度", "提示"],
            [
                [
                    s.question_id,
                    s.stem[:60],
                    _fixed(s.facility),
                    _fixed(s.discrimination),
                    "、".join(FLAG_CHINESE[f] for f in s.flags),
                ]
                for s in flagged
            ],
            widths=[0.8, 4, 1, 1, 2],
        )
        if flagged
        else Paragraph(_("No question is flagged."))
    )
    blocks.append(Heading(_("All questions")))
    blocks.append(
        TableBlock(
            [
                "题号",
                "题型",
                "含此题试卷数",
                "作答人次",
                "难度系数",
                "区分度",
                "题-余分相关",
                "点二列相关",
                "各选项选择人数",
            ],
            [
                [
                    s.question_id,
                    KIND_NAMES.get(s.kind, s.kind),
                    s.candidates,
                    s.answered,
                    _fixed(s.facility),
                    _fixed(s.discrimination),
                    _fixed(s.item_rest),
                    _fixed(s.point_biserial),
                    " ".join(f"{o.label}{'✓' if o.is_key else ''}:{o.count}" for o in s.options),
                ]
                for s in stats
            ],
            widths=[0.8, 1, 1.2, 1, 1, 1, 1.1, 1.1, 3],
        )
    )
    data = report_pdf(
        _("Item analysis: %(exam)s", exam=exam.title),
        blocks,
        subtitle=_("%(n)s graded attempts", n=items.counted_attempts(exam_id)),
    )
    return download(
        data, f"安培-{exam.title}-试题分析-{local_today().isoformat()}.pdf", "application/pdf"
    )


def _fixed(value: float | None) -> str:
    """A statistic to two decimals, as text (the PDF prints numbers to one)."""
    return "" if value is None else f"{value:.2f}"


@roles_required(*MANAGERS)
def question_items_page(question_id: int):
    from exam.questions.access import get_question_or_404

    question = get_question_or_404(question_id)
    report = items.question_items(current_user, question_id)
    return render_template(
        "reports/item.html",
        question=question,
        report=report,
        flags=flag_labels(),
        too_easy=TOO_EASY,
        too_hard=TOO_HARD,
        notes=item_notes(),
    )
